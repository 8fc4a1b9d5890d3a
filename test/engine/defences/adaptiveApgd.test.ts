/**
 * `analyse --adaptive apgd-ce`: APGD-CE-10 as the adaptive attack against each defence. First the per-image
 * budgets on a model whose loss rises along +1 in every pixel (the closed form: each image ends at the corner
 * x0 + ε of its own ε-box), then analyse end to end on the sample: the rows name APGD-CE and keep the
 * adaptive ≤ non-adaptive invariant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adaptiveApgd } from '../../../src/engine/defences/adaptive';
import type { GradientSource } from '../../../src/engine/grad/estimatedGradient';
import type { ScoreModel } from '../../../src/engine/runtime/scoreModel';
import { runAnalyseJob } from '../../../src/engine/jobs/analyseJob';
import { analyseOptionsFromFlags } from '../../../src/cli/analyseFlags';
import type { DefencesSection } from '../../../src/engine/report/sections';

const PER = 4;

/** Class 0 always wins by a margin no budget overcomes; the loss grows with the pixels' sum, its gradient is +1. */
function fakes(calls: { n: number }) {
  const model = {
    pixelsPerSample: PER,
    numClasses: 2,
    scores: async (_x: Float32Array, n: number) => new Float32Array(2 * n),
  } as unknown as ScoreModel;
  const gradient: GradientSource = {
    kind: 'analytic',
    head: { kind: 'cross-entropy' },
    compute: async (x, n) => {
      calls.n++;
      const loss = new Float32Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < PER; j++) loss[i] += x[i * PER + j];
      return { loss, grad: new Float32Array(n * PER).fill(1), logits: Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 ? 0 : 50)) };
    },
    dispose: async () => undefined,
  };
  return { model, gradient };
}

test('adaptive APGD-CE: each image at the corner of its own ε-box; an unusable budget leaves the image alone', async () => {
  const calls = { n: 0 };
  const { model, gradient } = fakes(calls);
  const pixels = new Float32Array(4 * PER).fill(0.5);
  const eps = Float64Array.of(0.1, 0.2, 0.1, NaN);
  const { adversarial } = await adaptiveApgd(model, gradient, pixels, [0, 0, 0, 0], 'linf', eps, 'top1', 7, false);
  const want = [0.6, 0.7, 0.6, 0.5];
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < PER; j++) assert.ok(Math.abs(adversarial[i * PER + j] - want[i]) < 1e-6, `image ${i}: ${adversarial[i * PER + j]}`);
  // Two ε groups (0.1 and 0.2), each the start and 10 steps.
  assert.equal(calls.n, 2 * 11);
});

test('analyse --adaptive apgd-ce: the adaptive rows are APGD-CE-10, through post-averaging with EOT', async () => {
  const r = await runAnalyseJob(
    {
      modelPath: join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx'),
      overrides: { limit: 12, runtime: { executionProvider: 'cpu', threads: 2, batchSize: 32 } },
    },
    {
      preset: 'fast',
      attacks: [{ name: 'fgsm', params: { eps: 0.05 } }],
      K: 5,
      radius: null,
      directions: 'random',
      cutoff: null,
      epsilons: [0.05],
      outDir: null,
      adaptiveImages: 4,
      adaptiveAttack: 'apgd-ce',
      analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: true },
    },
  );
  assert.equal(r.status, 'complete');
  const d = r.sections.defences as DefencesSection;
  assert.ok(
    d.results.every((res) => res.rows.some((row) => row.adaptive!.images > 0)),
    'each defence re-attacked some examples',
  );
  for (const res of d.results)
    for (const row of res.rows) {
      const a = row.adaptive!;
      assert.ok(a, `${res.defence.kind}: an adaptive row`);
      assert.match(a.label, /^APGD-CE-10 L∞ /);
      if (res.defence.kind === 'post-averaging') assert.match(a.label, /EOT/);
      else assert.doesNotMatch(a.label, /EOT/);
      assert.ok(Number.isInteger(a.seed));
      if (a.defenceRate !== null)
        assert.ok(a.defenceRate <= a.nonAdaptiveDefenceRate!, 'the adaptive attacker may also submit the non-adaptive example');
    }
});

test('--adaptive: pgd, apgd-ce or autoattack, absent by default; anything else refused with the choices', () => {
  assert.equal(analyseOptionsFromFlags({ adaptive: 'apgd-ce', out: '/tmp/x' }, '/m.onnx', 'analyse').adaptiveAttack, 'apgd-ce');
  assert.equal(analyseOptionsFromFlags({ adaptive: 'autoattack', out: '/tmp/x' }, '/m.onnx', 'analyse').adaptiveAttack, 'autoattack');
  assert.equal(analyseOptionsFromFlags({ out: '/tmp/x' }, '/m.onnx', 'analyse').adaptiveAttack, undefined);
  assert.throws(
    () => analyseOptionsFromFlags({ adaptive: 'square' }, '/m.onnx', 'analyse'),
    /--adaptive square: expected pgd \| apgd-ce \| autoattack/,
  );
});
