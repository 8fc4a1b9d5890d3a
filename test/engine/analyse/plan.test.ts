/** The analyse plan (sizes and skips chosen up front), and what the defence modules declare for the CLI and the readers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseSuite, planAnalyse } from '../../../src/engine/analyse/plan';
import { validateAttackParams } from '../../../src/engine/attacks/catalog';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { DEFENCES } from '../../../src/engine/defences';
import { DEFAULT_K } from '../../../src/engine/defences/postAveraging';
import type { DefenceResult, DefenceSpec } from '../../../src/engine/report/sections';
import { ANALYSE_FLAGS, analyseOptionsFromFlags } from '../../../src/cli/analyseFlags';
import { describeDefence as describeForTerminal } from '../../../src/cli/formatAnalyse';
import { describeDefence as describeForPanel } from '../../../webview/src/render/defenceTable';
import { preprocessing } from '../defences/linearModel';

const p = preprocessing(1, 28, 28);
const base: AnalyseOptions = {
  preset: 'fast',
  attacks: null,
  K: DEFAULT_K,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
};

test("the plan fixes every stage's sizes before any image is read", () => {
  const plan = planAnalyse(base, p, 100);
  assert.deepEqual(
    plan.defences.map((d) => d.name),
    ['post-averaging', 'low-pass'],
  );
  assert.deepEqual(
    plan.attacks.map((a) => a.name),
    ['fgsm', 'pgd', 'pgd', 'deepfool'],
    'the fast suite',
  );
  assert.deepEqual(plan.epsGrid, [2 / 255, 4 / 255, 8 / 255, 16 / 255]);
  const stage = (name: string) => plan.stages.find((s) => s.stage === name)!;
  assert.deepEqual(stage('defences').sizes, {
    'post-averaging/radii': 3,
    'post-averaging/K': 3,
    'post-averaging/pointsPerImage': 91,
    'low-pass/cutoffs': 14,
  });
  // EOT over every post-averaging point by default (6K + 1, K = 15).
  assert.deepEqual(stage('adaptive').sizes, { images: 32, defences: 2, eotSamples: 6 * 15 + 1 });
  assert.deepEqual(stage('occludedFrequency').sizes, { images: 32 });
  assert.ok(plan.stages.every((s) => s.skipped === null));
});

test('the plan records skipped stages, and a fixed parameter shrinks its grid', () => {
  const plan = planAnalyse(
    {
      ...base,
      radius: 2,
      K: 7,
      cutoff: 8,
      defences: ['low-pass'],
      analyses: { occludedFrequency: false, rct: true, spectra: false, sweeps: false },
      adaptiveImages: 5,
    },
    p,
    3,
  );
  const stage = (name: string) => plan.stages.find((s) => s.stage === name)!;
  assert.deepEqual(
    plan.defences.map((d) => d.name),
    ['low-pass'],
  );
  assert.deepEqual(stage('defences').sizes, { 'low-pass/cutoffs': 1 });
  assert.deepEqual(stage('adaptive').sizes, { images: 3, defences: 1, eotSamples: 6 * 7 + 1 });
  assert.equal(stage('occludedFrequency').skipped, 'not asked for');
  assert.equal(stage('rct').skipped, null);
  assert.equal(stage('sweeps').skipped, 'not asked for');
  assert.equal(planAnalyse({ ...base, defences: [] }, p, 3).stages.find((s) => s.stage === 'defences')!.skipped, 'no defence selected');
});

test('bad values are refused by the plan, whether or not their defence is selected', () => {
  assert.throws(
    () => planAnalyse({ ...base, cutoff: 15, defences: ['post-averaging'] }, p, 1),
    /cutoff 15: expected a whole number from 1 to 14/,
  );
  assert.throws(() => planAnalyse({ ...base, K: 0 }, p, 1), /K = 0.*the paper uses 15/);
  assert.throws(() => planAnalyse({ ...base, epsilons: [2] }, p, 1), /ε list \[2\]/);
});

test("the CLI takes every defence's flags, defaults and --defence value from its module", () => {
  for (const d of DEFENCES) for (const flag of Object.keys(d.cli.flags)) assert.ok(flag in ANALYSE_FLAGS, `--${flag} of ${d.name}`);
  const o = analyseOptionsFromFlags({ defence: ['LowPass', 'post_averaging'], out: '/tmp/x' }, '/m.onnx', 'defend');
  assert.equal(o.K, DEFAULT_K);
  assert.deepEqual([o.radius, o.cutoff, o.directions], [null, null, 'random']);
  assert.deepEqual(o.defences, ['low-pass', 'post-averaging']);
  assert.equal(o.analyses?.sweeps, true);
  assert.equal(
    analyseOptionsFromFlags({ defence: ['lowpass'], cutoff: '8', radius: '2', out: '/tmp/x' }, '/m.onnx', 'defend').analyses?.sweeps,
    false,
    'every parameter given: no sweep',
  );
  assert.throws(
    () => analyseOptionsFromFlags({ defence: ['median'] }, '/m.onnx', 'defend'),
    /--defence median: expected lowpass or post-averaging/,
  );
  assert.throws(
    () => analyseOptionsFromFlags({}, '/m.onnx', 'defend'),
    /defend: name a defence with --defence lowpass or --defence post-averaging/,
  );
  assert.throws(() => analyseOptionsFromFlags({ K: '0' }, '/m.onnx', 'analyse'), /--K 0: expected a whole number ≥ 1/);
  assert.throws(() => analyseOptionsFromFlags({ directions: 'up' }, '/m.onnx', 'analyse'), /--directions up: expected random \| approx/);
});

test('the terminal and the panel describe a defence they have no words for by its parameters', () => {
  const unknown = { kind: 'median-filter', params: { window: 3, seed: 9 } } as unknown as DefenceSpec;
  assert.equal(describeForTerminal(unknown), 'median-filter  window=3  seed=9');
  const result = (defence: DefenceSpec): DefenceResult => ({ defence, chosenBy: 'given', rows: [], cost: null });
  assert.equal(
    describeForPanel(result(unknown), null).map(String).join(''),
    'median-filter window = 3, seed = 9; cost not measured. given',
  );
  assert.equal(describeForTerminal({ kind: 'low-pass', params: { cutoff: 8, maxCutoff: 14 } }), 'low-pass  cutoff k=8 of 14');
  assert.equal(
    describeForPanel(result({ kind: 'low-pass', params: { cutoff: 8, maxCutoff: 14 } }), null)
      .map(String)
      .join(''),
    'Low-pass cutoff 8 of 14; cost not measured. given',
  );
});

test("the presets' suites come from the attack catalog in the order and with the parameters analyse has always run", () => {
  const eps = 8 / 255,
    budget = 16 / 255;
  assert.deepEqual(analyseSuite('fast', eps, budget), [
    { name: 'fgsm', params: { eps } },
    { name: 'pgd', params: { norm: 'linf', eps } },
    { name: 'pgd', params: { norm: 'linf', eps: budget, mode: 'minimal-eps', searchSteps: 6 } },
    { name: 'deepfool', params: {} },
  ]);
  assert.deepEqual(analyseSuite('full', eps, budget), [
    { name: 'fgsm', params: { eps } },
    { name: 'fgsm', params: { eps: budget, mode: 'minimal-eps' } },
    { name: 'pgd', params: { norm: 'linf', eps } },
    { name: 'pgd', params: { norm: 'linf', eps: budget, mode: 'minimal-eps', searchSteps: 10 } },
    { name: 'deepfool', params: {} },
    { name: 'pgd', params: { norm: 'l2' } },
    { name: 'cw', params: { steps: 100, searchSteps: 5 } },
    { name: 'simba', params: { basis: 'dct' } },
  ]);
  for (const spec of analyseSuite('full', eps, budget))
    assert.doesNotThrow(() => validateAttackParams(spec.name, spec.params), `${spec.name} ${JSON.stringify(spec.params)}`);
});
