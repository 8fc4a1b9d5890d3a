/**
 * Numbers that agree (issue #13 item 5): on a small analyse run of the bundled sample whose adaptive set is
 * every correctly classified image, each adaptive row re-attacks exactly the row's #Adv examples and its
 * non-adaptive rate on them is the row's defence rate — one number, not two. The run has a PGD with random
 * start (minimal ε), whose examples a re-run of the suite on other batches would draw differently: the cause
 * of "on 150 of 149 adversarial examples". Every report invariant holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runAnalyseJob, type AnalyseOptions } from '../../../src/engine/jobs/analyseJob';
import { replayedPrefix } from '../../../src/engine/analyse/passTwo';
import { checkReportInvariants } from '../../../src/engine/report/invariants';
import type { DefencesSection } from '../../../src/engine/report/sections';
import { ratePair } from '../../../src/cli/formatAnalyse';

const model = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');
const req = {
  modelPath: model,
  overrides: { limit: 12, seed: 5, runtime: { executionProvider: 'cpu' as const, threads: 1, batchSize: 4 } },
};
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: [
    { name: 'pgd', params: { norm: 'linf', eps: 0.08, mode: 'minimal-eps', steps: 5, searchSteps: 3 } },
    { name: 'deepfool', params: {} },
  ],
  K: 5,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: [0.05],
  outDir: null,
  adaptiveImages: 12,
  ofImages: 2,
  ofBaseline: 'noise',
};

test('adaptive rows on every correct image: the same examples and the same non-adaptive rate as pass 1; no invariant violated', async () => {
  const r = await runAnalyseJob(req, opts);
  assert.equal(r.status, 'complete');
  assert.deepEqual(checkReportInvariants(r), []);
  assert.deepEqual(
    r.warnings.filter((w) => /report check failed|did not reproduce/.test(w)),
    [],
  );
  const rows = (r.sections.defences as DefencesSection).results.flatMap((res) => res.rows.map((row) => ({ kind: res.defence.kind, row })));
  assert.equal(rows.length, 4);
  for (const { kind, row } of rows) {
    const where = `${kind} × ${row.attack.label}`;
    assert.ok(row.adaptive, where);
    assert.equal(row.adaptive.images, row.numAdversarial, `${where}: re-attacked examples = #Adv`);
    assert.equal(row.adaptive.nonAdaptiveDefenceRate, row.defenceRate, `${where}: one non-adaptive rate`);
  }
});

test("pass 2 replays pass 1's batches up to the one holding the last adaptive image", () => {
  const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((relPath) => ({ relPath }));
  const pick = (...names: string[]) => names.map((relPath) => ({ relPath }));
  assert.deepEqual(replayedPrefix(all, pick('a', 'c'), 3), all.slice(0, 3));
  assert.deepEqual(replayedPrefix(all, pick('a', 'd'), 3), all.slice(0, 6));
  assert.deepEqual(replayedPrefix(all, pick('g'), 3), all);
  assert.deepEqual(replayedPrefix(all, [], 3), []);
});

test('the CLI names the set of each rate pair, and the rate on all of #Adv beside a part of it', () => {
  const adaptive = {
    label: 'PGD',
    defenceRate: 0.1,
    attacked: { top1: 0.1, top5: 1 },
    images: 32,
    nonAdaptiveDefenceRate: 0.25,
    seed: 1,
    seconds: 1,
  };
  assert.equal(ratePair(adaptive, 49, 0.2653), '25.0% / 10.0% (both on the 32 of 49 re-attacked; non-adaptive on all 49: 26.5%)');
  assert.equal(ratePair({ ...adaptive, images: 49, nonAdaptiveDefenceRate: 0.2653 }, 49, 0.2653), '26.5% / 10.0% (both on all 49)');
});
