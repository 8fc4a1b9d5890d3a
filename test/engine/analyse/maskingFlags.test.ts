/**
 * The masking flags of a real analyse run on the bundled sample (fashion-resnet, 8 images, fast preset):
 * post-averaging (random directions) must be flagged as randomized, the deterministic model and low-pass
 * must not; the gradient probe counts the attacked images; each adaptive-collapse flag matches its row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runAnalyseJob, type AnalyseOptions } from '../../../src/engine/jobs/analyseJob';
import { COLLAPSE_DROP, COLLAPSE_KEEP } from '../../../src/engine/eval/maskingFlags';
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import type { DefencesSection, FlagsSection } from '../../../src/engine/report/sections';

const model = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');

test('analyse --limit 8 --preset fast: post-averaging raises "randomized outputs", the model and low-pass do not', async () => {
  const opts: AnalyseOptions = {
    preset: 'fast',
    attacks: [
      { name: 'fgsm', params: { eps: 8 / 255 } },
      { name: 'pgd', params: { eps: 8 / 255 } },
    ],
    K: 5,
    radius: null,
    directions: 'random',
    cutoff: null,
    epsilons: [4 / 255, 8 / 255],
    outDir: null,
    adaptiveImages: 8,
    defences: ['post-averaging', 'low-pass'],
    analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: true },
  };
  const report = await runAnalyseJob(
    { modelPath: model, overrides: { limit: 8, seed: 0, runtime: { executionProvider: 'cpu', threads: 1, batchSize: 8 } } },
    opts,
  );
  assert.equal(report.status, 'complete');
  assert.equal(Object.keys(report.sections).at(-1), 'flags', 'the flags close the report');
  const flags = report.sections.flags as FlagsSection;
  const reps = new Map(flags.measurements.repeatability.map((r) => [r.model, r]));
  assert.deepEqual([...reps.keys()].sort(), ['low-pass', 'model', 'post-averaging']);
  assert.equal(reps.get('model')!.differing, 0, 'the undefended model is deterministic');
  assert.equal(reps.get('low-pass')!.differing, 0, 'the low-pass filter is deterministic');
  assert.ok(reps.get('post-averaging')!.differing > 0, 'post-averaging samples fresh points on every call');

  const randomized = flags.flags.filter((f) => f.id === 'randomized-outputs');
  assert.deepEqual(
    randomized.map((f) => f.subject),
    ['post-averaging'],
  );
  assert.equal(randomized[0].evidence.differing, reps.get('post-averaging')!.differing);

  // The gradient probe saw each attacked image once (the images pass 1 attacked: correct on the clean image).
  const attacked = (report.sections.attacks as AttacksSection).runs[0].attackedImages;
  assert.equal(flags.measurements.gradients?.images, attacked);
  assert.equal(flags.measurements.outputKind, 'logits');
  assert.equal(flags.measurements.epsilonCurve?.eps.length, 2);

  // Each adaptive-collapse flag is exactly a row whose rates meet the rule, and no such row goes unflagged.
  const defences = report.sections.defences as DefencesSection;
  const collapsing = defences.results.flatMap((r) =>
    r.rows
      .filter((row) => {
        const a = row.adaptive;
        if (!a || a.defenceRate === null || a.nonAdaptiveDefenceRate === null || !a.images) return false;
        return a.nonAdaptiveDefenceRate - a.defenceRate >= COLLAPSE_DROP && a.defenceRate < COLLAPSE_KEEP * a.nonAdaptiveDefenceRate;
      })
      .map((row) => `${r.defence.kind} / ${row.attack.label}`),
  );
  assert.deepEqual(
    flags.flags.filter((f) => f.id === 'adaptive-collapse').map((f) => f.subject),
    collapsing,
  );
  console.log(flags.flags.map((f) => `${f.id} [${f.subject}]: ${f.summary}`).join('\n'));
});
