/**
 * The budget on the bundled sample (fashion-resnet, 28×28): the run plan is the report's section with the
 * EOT samples recorded; a deadline that fires (the test's own clock: it fires when the adaptive attacks
 * begin, so no wall-clock assertion) stops the run with the finished sections kept and a note of the cut
 * stages; a budget below the minimum is refused, saying the minimum.
 */
import { extrasWork } from '../../../src/engine/analyse/extras';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runAnalysePipeline } from '../../../src/engine/analyse/pipeline';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { ANALYSE_STAGES } from '../../../src/engine/analyse/stageWork';
import { budgetDeadline, type Schedule } from '../../../src/engine/analyse/runPlan';
import { performance } from 'node:perf_hooks';
import { pointsPerImage } from '../../../src/engine/defences/postAveraging';
import { isEngineError } from '../../../src/engine/errors';
import type { DefencesSection, RunPlanSection } from '../../../src/engine/report/sections';

const model = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');
const req = { modelPath: model, overrides: { limit: 8, runtime: { executionProvider: 'cpu' as const, threads: 2, batchSize: 4 } } };
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: [
    { name: 'fgsm', params: { eps: 0.05 } },
    { name: 'pgd', params: { eps: 0.05, steps: 5 } },
  ],
  K: 5,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: [0.05],
  outDir: null,
  adaptiveImages: 4,
  ofImages: 2,
};

test('a deadline reached at the adaptive attacks keeps every finished section and says what it cut', async () => {
  let fire: (() => void) | null = null;
  const schedule: Schedule = (_ms, f) => {
    fire = f;
    return () => {};
  };
  const r = await runAnalysePipeline(
    req,
    { ...opts, budgetSeconds: 3600 },
    {
      onProgress: (p) => {
        if (p.stage === ANALYSE_STAGES.passTwoAdaptive && fire) {
          fire();
          fire = null;
        }
      },
    },
    schedule,
  );
  assert.equal(r.status, 'partial');
  for (const s of ['plan', 'clean', 'attacks', 'defences', 'sweeps', 'occludedFrequency', 'rct', 'spectra', 'flags'])
    assert.ok(r.sections[s], `section ${s}`);
  const plan = r.sections.plan as RunPlanSection;
  assert.equal(plan.budgetSeconds, 3600);
  assert.deepEqual(plan.reductions, [], 'an hour is ample for 8 images');
  assert.ok(plan.stopped);
  // and the sections analyse adds when cheap (extras.ts), planned after it, are not run
  assert.deepEqual(plan.stopped.cut, [ANALYSE_STAGES.passTwoAdaptive, ...extrasWork(plan.extras ?? []).map((w) => w.stage)]);
  assert.match(plan.stopped.note, /stopped at the budget .* cut adaptive attacks/);
  assert.ok(r.warnings.includes(plan.stopped.note));
  // The defences were chosen from pass 1 (finished); their adaptive rows, cut, are absent.
  const d = r.sections.defences as DefencesSection;
  assert.ok(d.results.length === 2 && d.results.every((x) => x.rows.every((row) => !row.adaptive)));
});

test('the EOT samples are recorded: the default for a cheap model is every point, a given value is kept and labels the rows', async () => {
  const run = (extra: Partial<AnalyseOptions>) =>
    runAnalysePipeline(req, {
      ...opts,
      defences: ['post-averaging'],
      analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: false },
      ...extra,
    });
  const a = await run({});
  const planA = a.sections.plan as RunPlanSection;
  assert.deepEqual(planA.eot, { samples: pointsPerImage(5), points: pointsPerImage(5), chosenBy: 'model cost' });
  assert.equal(planA.budgetSeconds, null);
  assert.equal(planA.stopped, null);
  const b = await run({ eotSamples: 7 });
  assert.equal(b.status, 'complete');
  assert.deepEqual((b.sections.plan as RunPlanSection).eot, { samples: 7, points: pointsPerImage(5), chosenBy: 'user' });
  const rows = (b.sections.defences as DefencesSection).results[0].rows;
  assert.ok(rows.every((row) => row.adaptive && row.adaptive.label.includes(`7 of the ${pointsPerImage(5)}`)));
});

test('a budget below what the run needs is refused, saying the minimum', async () => {
  await assert.rejects(
    () => runAnalysePipeline(req, { ...opts, budgetSeconds: 0.5 }),
    (e: unknown) =>
      isEngineError(e) && e.code === 'USAGE' && /needs at least \d+ s/.test(e.message) && /--budget \d+s/.test(e.details.hint ?? ''),
  );
});

test('the stop names the stage running and the planned stages not begun, also a stage the plan had not counted', () => {
  let fire: (() => void) | null = null;
  const schedule: Schedule = (_ms, f) => {
    fire = f;
    return () => {};
  };
  // The plan had no pass 2 (its probe found no correct image); the run then ran it after pass 1.
  const work = [ANALYSE_STAGES.clean, ANALYSE_STAGES.passOne, 'Fourier heat map'].map((stage) => ({
    stage,
    images: 8,
    perImage: { forward: 1, gradient: 0 },
  }));
  const d = budgetDeadline({}, 60, performance.now(), work, schedule);
  d.hooks.onProgress?.({ stage: ANALYSE_STAGES.clean, done: 8, total: 8 });
  d.hooks.onProgress?.({ stage: ANALYSE_STAGES.passOne, done: 8, total: 8 });
  d.hooks.onProgress?.({ stage: ANALYSE_STAGES.passTwoAdaptive, done: 3, total: 8 });
  fire!();
  const stop = d.stopNote();
  assert.ok(stop);
  assert.deepEqual(stop.cut, [ANALYSE_STAGES.passTwoAdaptive, 'Fourier heat map']);
  assert.match(stop.note, /cut adaptive attacks \(3 of 8 images done\), Fourier heat map \(not run\)/);
  d.dispose();
});
