/** The analyse, defend and explain jobs end to end on the bundled sample (fashion-resnet, 100 images). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnalyseJob, type AnalyseOptions } from '../../../src/engine/jobs/analyseJob';
import { runExplainJob } from '../../../src/engine/jobs/explainJob';
import type {
  DefencesSection,
  OccludedFrequencySection,
  RctSection,
  SpectraSection,
  SweepsSection,
} from '../../../src/engine/report/sections';

const model = join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx');
const req = (limit: number) => ({
  modelPath: model,
  overrides: { limit, runtime: { executionProvider: 'cpu' as const, threads: 2, batchSize: 32 } },
});
const base: AnalyseOptions = {
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
  adaptiveImages: 4,
  ofImages: 3,
};

test('analyse produces every section, with adaptive numbers beside the non-adaptive ones', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rl-analyse-'));
  try {
    const r = await runAnalyseJob(req(12), { ...base, outDir: out });
    assert.equal(r.status, 'complete');
    for (const s of ['clean', 'attacks', 'defences', 'sweeps', 'occludedFrequency', 'rct', 'spectra'])
      assert.ok(r.sections[s], `section ${s}`);
    const d = r.sections.defences as DefencesSection;
    assert.deepEqual(
      d.results.map((x) => x.defence.kind),
      ['post-averaging', 'low-pass'],
    );
    for (const res of d.results) {
      assert.equal(res.rows.length, 2);
      assert.ok(res.cost && res.cost.relativeCost > 0);
      for (const row of res.rows) {
        assert.ok(row.adaptive, `${res.defence.kind} × ${row.attack.label}: adaptive number`);
        // The adaptive attacker may also submit the non-adaptive example: never weaker on the same images.
        if (row.adaptive.defenceRate !== null) assert.ok(row.adaptive.defenceRate <= row.adaptive.nonAdaptiveDefenceRate!);
        assert.equal(row.attack.mode, row.attack.label.startsWith('FGSM') ? 'fixed-eps' : 'minimal-perturbation');
        if (row.numAdversarial) assert.ok(row.defenceRate !== null && row.defenceRate >= 0 && row.defenceRate <= 1);
      }
    }
    const pa = d.results[0].defence;
    assert.ok(pa.kind === 'post-averaging' && pa.params.points === 31 && pa.params.radiusSpace === 'model-input');
    const sweeps = (r.sections.sweeps as SweepsSection).sweeps.map((s) => s.id);
    assert.deepEqual(sweeps.sort(), ['accuracy-vs-cutoff', 'defence-rate-vs-K', 'defence-rate-vs-epsilon', 'defence-rate-vs-radius']);
    const cutoff = (r.sections.sweeps as SweepsSection).sweeps.find((s) => s.id === 'accuracy-vs-cutoff')!;
    assert.deepEqual(
      cutoff.x,
      Array.from({ length: 14 }, (_, i) => i + 1),
    );
    // At the largest cutoff the filter is the identity: defended clean accuracy = undefended.
    assert.equal(cutoff.series[0].y[13], cutoff.fixed.undefendedCleanTop1);
    const of = r.sections.occludedFrequency as OccludedFrequencySection;
    assert.equal(of.bands, 28);
    assert.equal(of.models[0].images.length, 3);
    assert.ok(of.models[0].images[0].previews!.every((p) => existsSync(join(out, p.path))));
    assert.ok((r.sections.rct as RctSection).maps.every((m) => m.map.values.length === 784 && m.count > 0));
    assert.ok((r.sections.spectra as SpectraSection).entries.every((e) => e.lowFrequencyEnergyImages > e.lowFrequencyEnergyPerturbation));
    assert.ok(Number.isInteger(r.seeds.postAveraging) && Number.isInteger(r.seeds.epsilonSweep));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('defend is repeatable to the digit with the same seed', async () => {
  const opts: AnalyseOptions = {
    ...base,
    attacks: [{ name: 'fgsm', params: { eps: 0.05 } }],
    radius: 2,
    cutoff: 8,
    defences: ['post-averaging', 'low-pass'],
    analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: false },
  };
  const a = await runAnalyseJob(req(8), opts);
  const b = await runAnalyseJob(req(8), opts);
  const strip = (s: DefencesSection) =>
    JSON.stringify(
      s.results.map((x) => ({
        ...x,
        cost: null,
        rows: x.rows.map((r) => ({ ...r, adaptive: r.adaptive && { ...r.adaptive, seconds: 0 } })),
      })),
    );
  assert.equal(strip(a.sections.defences as DefencesSection), strip(b.sections.defences as DefencesSection));
  assert.equal(a.sections.sweeps, undefined);
});

test('bad defence parameters are refused before anything runs', async () => {
  await assert.rejects(runAnalyseJob(req(4), { ...base, cutoff: 15 }), /cutoff 15: expected a whole number from 1 to 14/);
  await assert.rejects(runAnalyseJob(req(4), { ...base, K: 0 }), /K = 0/);
  await assert.rejects(runAnalyseJob(req(4), { ...base, radius: -1 }), /radius r = -1/);
});

test('explain: Occluded Frequency of one image, two models side by side, previews written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rl-explain-'));
  try {
    const image = join(__dirname, '..', '..', '..', 'samples', 'images', 'sneaker');
    const { readdirSync } = await import('node:fs');
    const file = join(image, readdirSync(image)[0]);
    const r = await runExplainJob({ modelPath: model }, { imagePath: file, compareModelPath: model, baseline: 'zero', outDir: out });
    const of = r.sections.occludedFrequency as OccludedFrequencySection;
    assert.equal(of.models.length, 2);
    assert.deepEqual(of.models[0].mean, of.models[1].mean);
    assert.equal(of.models[0].images[0].scores.length, 28);
    assert.equal(of.models[0].images[0].previews!.length, 3);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
