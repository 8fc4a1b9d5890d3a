/** PGD through the low-pass filter differentiates it exactly: ∇ₓ loss(f(LₕxLᵥᵀ)) = Lₕᵀ ∇loss(Lx) Lᵥ. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP_NO_SHARED, sharedManifest, sharedPath } from '../../helpers/shared';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import { lowPassBatch, lowPassMatrix } from '../../../src/engine/spectral/lowPass';
import { Rng } from '../../../src/engine/util/random';

test(
  'the low-pass gradient graph equals the filter applied to the plain gradient at the filtered image',
  { skip: SKIP_NO_SHARED },
  async () => {
    const entry = sharedManifest().find((m) => m.name === 'mnist-cnn')!;
    const prepared = await prepareModel({
      modelPath: sharedPath('models', entry.file),
      overrides: { runtime: { executionProvider: 'cpu', threads: 2, batchSize: 8 } },
    });
    const cutoff = 5;
    const opts = { executionProvider: 'cpu' as const, threads: 2, maxBatch: 8, label: 'mnist-cnn' };
    const plain = await GradientModel.open(await gradientBuilderFor(prepared, 'logits', 10), { kind: 'cross-entropy' }, opts);
    const filtered = await GradientModel.open(
      await gradientBuilderFor(prepared, 'logits', 10, { rows: lowPassMatrix(28, cutoff), cols: lowPassMatrix(28, cutoff) }),
      { kind: 'cross-entropy' },
      opts,
    );
    try {
      const rng = new Rng(5);
      const x = Float32Array.from({ length: 3 * 784 }, () => rng.next());
      const labels = [1, 4, 7];
      const a = await filtered.compute(x, 3, { labels });
      const lx = lowPassBatch(x, 3, 1, 28, 28, cutoff);
      const b = await plain.compute(lx, 3, { labels });
      // L is symmetric, so Lᵀ g L = lowPass(g).
      const expected = lowPassBatch(b.grad, 3, 1, 28, 28, cutoff);
      let maxErr = 0,
        maxAbs = 0;
      for (let j = 0; j < expected.length; j++) {
        maxErr = Math.max(maxErr, Math.abs(a.grad[j] - expected[j]));
        maxAbs = Math.max(maxAbs, Math.abs(expected[j]));
      }
      assert.ok(maxErr <= 1e-4 * maxAbs, `max error ${maxErr} vs max ${maxAbs}`);
      for (let j = 0; j < 30; j++) assert.ok(Math.abs(a.logits[j] - b.logits[j]) < 1e-3);
    } finally {
      await plain.dispose();
      await filtered.dispose();
    }
  },
);
