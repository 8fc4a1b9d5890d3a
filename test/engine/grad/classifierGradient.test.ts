import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import { float32Reference, gradcheck } from '../../../src/engine/grad/gradcheck';
import { EstimatedGradient } from '../../../src/engine/grad/estimatedGradient';
import { EngineError } from '../../../src/engine/errors';
import type { ConfigOverrides } from '../../../src/engine/config/runConfig';
import { Rng } from '../../../src/engine/util/random';
import { writeModels } from './classifierModels';

const models = writeModels();
after(() => rmSync(models.dir, { recursive: true, force: true }));

async function setup(file: string, overrides: ConfigOverrides = {}) {
  const prepared = await prepareModel({
    modelPath: models.path(file),
    overrides: { runtime: { executionProvider: 'cpu', batchSize: 256 }, ...overrides },
  });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const per = classifier.pixelsPerSample;
  const rng = new Rng(3);
  const pixels = Float32Array.from({ length: 3 * per }, () => 0.1 + 0.8 * rng.next());
  await classifier.scores(pixels.subarray(0, per), 1);
  const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
  const grads = await GradientModel.open(
    builder,
    { kind: 'cross-entropy' },
    { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: file },
  );
  return {
    prepared,
    classifier,
    builder,
    grads,
    pixels,
    close: async () => {
      await grads.dispose();
      await classifier.dispose();
    },
  };
}

// Piecewise-linear models (ReLU, MaxPool) have kinks that finite differences may straddle, so their bar is
// lower than the smooth models'; the per-op tests check those ops away from kinks to 2e-3.
for (const [file, overrides, what, minCosine, maxRelError] of [
  ['opset11.onnx', {}, 'opset 11, attribute-form ReduceSum/Squeeze, ReLU/MaxPool, Softmax output (probabilities)', 0.9995, 5e-2],
  [
    'opset13.onnx',
    { input: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } },
    'opset 13, NHWC RGB with mean/std inside the graph',
    0.99999,
    1e-3,
  ],
  ['opset17.onnx', {}, 'opset 17, flattened input, fixed batch 1', 0.99999, 1e-3],
] as [string, ConfigOverrides, string, number, number][]) {
  test(`gradients agree with finite differences: ${what}`, async () => {
    const s = await setup(file, overrides);
    try {
      const results = await gradcheck(float32Reference(s.classifier), s.grads, s.pixels, [0, 1, 2], { directions: 8, seed: 0, jitter: 0 });
      for (const r of results) {
        assert.ok(r.cosine > minCosine, `${file} image ${r.index}: cosine ${r.cosine}`);
        assert.ok(r.relError < maxRelError, `${file} image ${r.index}: relative error ${r.relError}`);
        assert.equal(r.verdict, 'AGREE', `${file} image ${r.index}: ${r.verdict}, noise floor ${r.noiseFloor}`);
      }
      if (file === 'opset11.onnx') assert.match(s.builder.notes.join(' '), /probabilities/);
    } finally {
      await s.close();
    }
  });
}

test('the NES estimate points the same way as the analytic gradient and is reproducible', async () => {
  const s = await setup('opset17.onnx');
  try {
    const analytic = await s.grads.compute(s.pixels, 3, { labels: [0, 1, 2] });
    const estimate = (seed: number) =>
      new EstimatedGradient(s.classifier, { kind: 'cross-entropy' }, { pairs: 400, sigma: 1e-3, seed }).compute(s.pixels, 3, {
        labels: [0, 1, 2],
      });
    const [e1, e2] = [await estimate(5), await estimate(5)];
    assert.deepEqual(Array.from(e1.grad), Array.from(e2.grad));
    for (let i = 0; i < 3; i++) {
      const a = analytic.grad.subarray(i * 64, (i + 1) * 64),
        b = e1.grad.subarray(i * 64, (i + 1) * 64);
      let dot = 0,
        na = 0,
        nb = 0;
      for (let j = 0; j < 64; j++) {
        dot += a[j] * b[j];
        na += a[j] ** 2;
        nb += b[j] ** 2;
      }
      assert.ok(dot / Math.sqrt(na * nb) > 0.8, `image ${i}: cosine ${dot / Math.sqrt(na * nb)}`);
      assert.ok(Math.abs(e1.loss[i] - analytic.loss[i]) < 1e-5);
    }
  } finally {
    await s.close();
  }
});

test('ops without a gradient are listed in one error before anything runs, with node names and the fallback', async () => {
  const prepared = await prepareModel({ modelPath: models.path('unsupported.onnx'), overrides: { runtime: { executionProvider: 'cpu' } } });
  await assert.rejects(gradientBuilderFor(prepared, 'logits'), (e: unknown) => {
    assert.ok(e instanceof EngineError);
    assert.match(
      e.message,
      /no gradient for 2 op types on the path from the input to the logits: TopK \(1 node: "top"\); com\.example:Swish \(1 node: "custom_swish"\)/,
    );
    assert.match(e.describe(), /SimBA|estimated/);
    return true;
  });
});

test('a path through ArgMax is reported as having no useful gradient, naming the node', async () => {
  const prepared = await prepareModel({ modelPath: models.path('argmax.onnx'), overrides: { runtime: { executionProvider: 'cpu' } } });
  await assert.rejects(gradientBuilderFor(prepared, 'logits'), /no useful gradient: node "pick_brightest" \(ArgMax\)/);
});
