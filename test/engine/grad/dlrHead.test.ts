/**
 * The DLR loss head (Croce & Hein 2020) on a linear classifier z = W·x + b, where ∂L/∂x = Wᵀ ∂L/∂z exactly:
 * the graph's loss against the float64 formula, its gradient against Wᵀ times central differences of that
 * formula on the logits, including the cases where the true class is or is not the top logit.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { GradientModel } from '../../../src/engine/grad/gradientModel';
import { headLoss } from '../../../src/engine/grad/lossOnLogits';
import type { LossHead } from '../../../src/engine/grad/lossHeads';
import { Rng } from '../../../src/engine/util/random';

const D = 16;
const K = 6;
const rng = new Rng(11);
const W = Float64Array.from({ length: K * D }, () => rng.normal() * 0.8);
const B = Float64Array.from({ length: K }, () => rng.normal() * 0.3);
const dir = mkdtempSync(join(tmpdir(), 'rl-dlr-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'linear.onnx');
writeFileSync(
  file,
  encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 17 }],
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('Gemm', ['f', 'w', 'b'], ['logits'], { transB: 1 })],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
        outputs: [makeValueInfo('logits', 'float32', ['N', K])],
        initializers: [makeTensor('w', [K, D], Float32Array.from(W)), makeTensor('b', [K], Float32Array.from(B))],
      },
    }),
  ),
);

function logitsOf(x: Float32Array, i: number): Float64Array {
  const z = Float64Array.from(B);
  for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) z[k] += W[k * D + j] * x[i * D + j];
  return z;
}

for (const targeted of [false, true]) {
  test(`DLR head (${targeted ? 'targeted' : 'untargeted'}): loss and input gradient equal the formula's on a linear model`, async () => {
    const prepared = await prepareModel({ modelPath: file, overrides: { runtime: { executionProvider: 'cpu' } } });
    const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
    const count = 12;
    const x = Float32Array.from({ length: count * D }, () => rng.next());
    const scores = await classifier.scores(x, count);
    const head: LossHead = { kind: 'dlr', targeted };
    const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, K);
    const model = await GradientModel.open(builder, head, { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'linear' });
    try {
      // Labels: half the images labelled with their top class (the π2 branch), half with another class.
      const top = (i: number) => Array.from(scores.subarray(i * K, (i + 1) * K)).reduce((b, v, k, row) => (v > row[b] ? k : b), 0);
      const labels = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? top(i) : (top(i) + 1 + (i % (K - 1))) % K));
      const targets = labels.map((y, i) => (y + 1 + ((i * 7) % (K - 1))) % K);
      const out = await model.compute(x, count, { labels, ...(targeted ? { targets } : {}) });
      for (let i = 0; i < count; i++) {
        const z = logitsOf(x, i);
        const extra = { label: labels[i], target: targets[i] };
        const expectedLoss = headLoss(head, z, extra);
        assert.ok(
          Math.abs(out.loss[i] - expectedLoss) <= 1e-4 * Math.max(1, Math.abs(expectedLoss)),
          `image ${i}: loss ${out.loss[i]} vs ${expectedLoss}`,
        );
        // ∂L/∂z by central differences in float64 (L is smooth away from ties of the sorted logits), then Wᵀ.
        const h = 1e-6;
        const dz = Array.from({ length: K }, (_, k) => {
          const up = Float64Array.from(z);
          const down = Float64Array.from(z);
          up[k] += h;
          down[k] -= h;
          return (headLoss(head, up, extra) - headLoss(head, down, extra)) / (2 * h);
        });
        let worst = 0;
        let size = 0;
        for (let j = 0; j < D; j++) {
          let g = 0;
          for (let k = 0; k < K; k++) g += W[k * D + j] * dz[k];
          worst = Math.max(worst, Math.abs(out.grad[i * D + j] - g));
          size = Math.max(size, Math.abs(g));
        }
        assert.ok(
          size > 0 && worst <= 1e-4 * size,
          `image ${i} (label ${labels[i]}${i % 2 === 0 ? ' = top' : ''}): gradient off by ${worst} of ${size}`,
        );
      }
    } finally {
      await model.dispose();
      await classifier.dispose();
    }
  });
}

test('DLR is invariant to shifting and scaling the logits, and its untargeted form is −margin/(z_π1 − z_π3)', () => {
  const z = Float64Array.from([2, -1, 0.5, 3, 1]);
  const head: LossHead = { kind: 'dlr', targeted: false };
  const l = headLoss(head, z, { label: 0 });
  // sorted 3, 2, 1, 0.5, −1: −(2 − 3)/(3 − 1)
  assert.ok(Math.abs(l - 0.5) < 1e-9, String(l));
  const moved = z.map((v) => 4 * v - 7);
  assert.ok(Math.abs(headLoss(head, moved, { label: 0 }) - l) < 1e-9);
  // targeted at class 4: −(2 − 1)/(3 − (1 + 0.5)/2)
  assert.ok(Math.abs(headLoss({ kind: 'dlr', targeted: true }, z, { label: 0, target: 4 }) + 1 / 2.25) < 1e-9);
});
