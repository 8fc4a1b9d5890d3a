/**
 * The analyse pipeline end to end, twice with the same seed, on a few images of the bundled sample
 * (fashion-resnet, 28×28): the reports are identical apart from timings, ids and dates, and every derived
 * seed stream is recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runAnalyseJob, type AnalyseOptions } from '../../../src/engine/jobs/analyseJob';
import type { ReportV1 } from '../../../src/engine/report/schema';
import type { DefencesSection, SweepsSection } from '../../../src/engine/report/sections';

const model = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');
const req = {
  modelPath: model,
  overrides: { limit: 6, seed: 11, runtime: { executionProvider: 'cpu' as const, threads: 1, batchSize: 4 } },
};
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: [
    { name: 'fgsm', params: { eps: 0.05 } },
    { name: 'deepfool', params: {} },
  ],
  K: 5,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: [0.05],
  outDir: null,
  adaptiveImages: 5,
  ofImages: 2,
  ofBaseline: 'noise',
};

/** Fields that measure the machine or name the run, not the model. */
const VOLATILE = new Set([
  'id',
  'createdAt',
  'timings',
  'seconds',
  'inferenceSeconds',
  'imagesPerSecond',
  'plainImagesPerSecond',
  'defendedImagesPerSecond',
  'relativeCost',
  // The run plan's timing probe and its estimates measure the machine.
  'forwardSeconds',
  'gradientSeconds',
  'elapsedSeconds',
  'estimateSeconds',
  'defendedFactors',
]);

function stable(r: ReportV1): string {
  return JSON.stringify(r, (k, v) => (VOLATILE.has(k) ? undefined : v));
}

test('same seed, same report: every number of two analyse runs agrees', async () => {
  const a = await runAnalyseJob(req, opts);
  const b = await runAnalyseJob(req, opts);
  assert.equal(a.status, 'complete');
  // Two batches in pass 2, so the per-batch adaptive seeds differ between batches.
  const rows = (a.sections.defences as DefencesSection).results.flatMap((r) => r.rows);
  assert.ok(rows.length === 4 && rows.every((row) => row.adaptive), 'adaptive numbers for both defences');
  assert.equal(stable(a), stable(b));
});

test("the report records every derived seed stream, at today's values", async () => {
  const r = await runAnalyseJob(req, {
    ...opts,
    adaptiveImages: 2,
    defences: ['post-averaging'],
    analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: true },
  });
  const s = 11;
  assert.deepEqual(r.seeds, {
    sampling: s,
    attack1: s,
    attack2: s + 1000003,
    postAveraging: s + 7919,
    'defences/post-averaging/radius + 1·radius': s + 7919,
    occludedFrequency: s + 104729,
    postAveragingAdaptive: s + 15485863,
    'adaptive/post-averaging/eot': s + 15485867,
    epsilonSweep: s + 32452843,
    'sweeps/epsilon/pgd + 1000003·epsilon': s,
    'adaptive/attack + 1009·attack + 7·batch + 1·defence': s + 49979687,
  });
  const pa = (r.sections.defences as DefencesSection).results[0];
  assert.ok(pa.defence.kind === 'post-averaging');
  const radii = (r.sections.sweeps as SweepsSection).sweeps.find((x) => x.id === 'defence-rate-vs-radius')!.x;
  assert.equal(pa.defence.params.seed - r.seeds.postAveraging, radii.indexOf(pa.defence.params.radius), "the reported radius's own stream");
});
