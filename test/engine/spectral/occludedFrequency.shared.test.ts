import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeImage } from '../../../src/engine/data/decodeImage';
import { rasterToPixels } from '../../../src/engine/data/pixels';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { occludedFrequency, OccludedFrequencyAggregator, topBands } from '../../../src/engine/spectral/occludedFrequency';
import { Rng } from '../../../src/engine/util/random';
import { SKIP_NO_SHARED, sharedPath } from '../../helpers/shared';
import { attackReference } from '../attacks/setup';

test('mnist-cnn: finite band scores, the low bands carry the decision', { skip: SKIP_NO_SHARED }, async () => {
  const prepared = await prepareModel({
    modelPath: sharedPath('models', 'mnist-cnn.onnx'),
    overrides: { runtime: { executionProvider: 'cpu', threads: 2, batchSize: 512 } },
  });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  try {
    // Five reference images of each digit (the reference lists 50 per class, in class order).
    const ref = attackReference('mnist-cnn');
    const indices = Array.from({ length: 50 }, (_, k) => Math.floor(k / 5) * 50 + (k % 5));
    const pre = prepared.config.preprocessing,
      per = 28 * 28;
    assert.equal(classifier.pixelsPerSample, per);
    const pixels = new Float32Array(indices.length * per);
    indices.forEach((idx, i) => {
      const file = sharedPath('datasets/mnist-test', ref.images[idx]);
      pixels.set(
        rasterToPixels(decodeImage(readFileSync(file), file), {
          height: pre.height,
          width: pre.width,
          channels: pre.channels,
          resize: pre.resize,
          filter: pre.resizeFilter,
        }),
        i * per,
      );
    });
    const score = (px: Float32Array, n: number) => classifier.scores(px, n);

    let t = performance.now();
    await occludedFrequency(pixels.subarray(0, per), 1, [1, 28, 28], score, { scoreOn: 'logits', maxBatch: 29 });
    console.log(`mnist-cnn, 28 bands of one 28×28 image (one call of 29 rows): ${(performance.now() - t).toFixed(1)} ms`);

    for (const baseline of ['zero', 'noise'] as const) {
      t = performance.now();
      const results = await occludedFrequency(pixels, indices.length, [1, 28, 28], score, {
        baseline,
        scoreOn: 'logits',
        maxBatch: 512,
        rng: new Rng(0),
      });
      const ms = performance.now() - t;
      const agg = new OccludedFrequencyAggregator(28, 10);
      results.forEach((r, i) => {
        assert.ok(Number.isFinite(r.cleanLogit) && r.scores.every(Number.isFinite), `image ${i}: finite scores`);
        agg.add(ref.labels[indices[i]], r.scores, r.flips);
      });
      const mean = agg.mean(),
        flips = agg.flipRate();
      const low = mean.slice(0, 7).reduce((a, b) => a + b, 0),
        high = mean.slice(14).reduce((a, b) => a + b, 0);
      console.log(
        `mnist-cnn, ${baseline} baseline, ${indices.length} images in ${ms.toFixed(0)} ms: Σ mean score bands 0–6 ${low.toFixed(2)}, bands 14–27 ${high.toFixed(2)}; top bands ${topBands(mean).join(', ')}; flip rate bands 0–3 ${flips
          .slice(0, 4)
          .map((f) => f.toFixed(2))
          .join(' ')}`,
      );
      assert.ok(low > 0 && low > 5 * Math.abs(high), `${baseline}: low bands ${low} dominate high bands ${high}`);
      assert.ok(
        topBands(mean).every((b) => b < 10),
        `${baseline}: top bands ${topBands(mean).join(', ')} are low`,
      );
    }
  } finally {
    await classifier.dispose();
  }
});
