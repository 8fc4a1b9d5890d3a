/**
 * The VJP head at an internal tensor (grad/representationLoss.ts): ∂‖g(x) − t‖²/∂pixels against central finite
 * differences of the same loss (computed in float64 from the model's g) on small hand-built models and the
 * shared MNIST CNN; the tensor checks (unknown names with the nearest ones, a tensor that does not depend on
 * the input, one behind a zero-gradient op); the default tensor (the input of the last Gemm).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { RepresentationModel } from '../../../src/engine/grad/representationModel';
import { nearestNames } from '../../../src/engine/grad/representationLoss';
import type { ConfigOverrides } from '../../../src/engine/config/runConfig';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Rng } from '../../../src/engine/util/random';
import { writeModels } from './classifierModels';
import { SKIP_NO_SHARED, sharedPath } from '../../helpers/shared';

const models = writeModels();
after(() => rmSync(models.dir, { recursive: true, force: true }));

/** A model with a side branch that reads only a constant: "const_branch" does not depend on the input. */
function sideBranch(): Uint8Array {
  const rng = new Rng(5);
  const w = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [
          makeNode('Flatten', ['x'], ['f']),
          makeNode('Gemm', ['f', 'w1'], ['h'], { transB: 1 }),
          makeNode('Relu', ['c'], ['const_branch']),
          makeNode('Add', ['h', 'const_branch'], ['h2']),
          makeNode('Gemm', ['h2', 'w2'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 3])],
        initializers: [makeTensor('w1', [5, 16], w(80)), makeTensor('c', [5], w(5)), makeTensor('w2', [3, 5], w(15))],
      },
    }),
  );
}
writeFileSync(join(models.dir, 'side.onnx'), sideBranch());

async function builderFor(path: string, overrides: ConfigOverrides = {}) {
  const prepared = await prepareModel({ modelPath: path, overrides: { runtime: { executionProvider: 'cpu' }, ...overrides } });
  return gradientBuilderFor(prepared, 'logits');
}

/** Σ (g − t)² in float64, per row. */
function lossesOf(rep: Float32Array, target: Float32Array, count: number): Float64Array {
  const size = rep.length / count;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++)
    for (let j = 0; j < size; j++) {
      const d = rep[i * size + j] - target[i * size + j];
      out[i] += d * d;
    }
  return out;
}

/** Directional derivatives ⟨∇L, v⟩ against (L(x + hv) − L(x − hv)) / 2h for `directions` random unit v. */
async function checkAgainstFiniteDifferences(model: RepresentationModel, pixelShape: number[], h: number, tol: number, seed: number) {
  const per = pixelShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: per }, () => 0.2 + 0.6 * rng.next());
  const other = Float32Array.from({ length: per }, () => 0.2 + 0.6 * rng.next());
  const size = model.tensor.size;
  const target = (await model.compute(other, 1, new Float32Array(size))).representation;
  const at = await model.compute(x, 1, target);
  // the model's own loss is the same function as the float64 one of its representation
  assert.ok(Math.abs(at.loss[0] - lossesOf(at.representation, target, 1)[0]) <= 1e-4 * Math.max(1, at.loss[0]));
  const directions = 6;
  const rows = new Float32Array(2 * directions * per);
  const vs: Float64Array[] = [];
  for (let k = 0; k < directions; k++) {
    const v = Float64Array.from({ length: per }, () => rng.normal());
    const n = Math.hypot(...v);
    for (let j = 0; j < per; j++) {
      v[j] /= n;
      rows[2 * k * per + j] = x[j] + h * v[j];
      rows[(2 * k + 1) * per + j] = x[j] - h * v[j];
    }
    vs.push(v);
  }
  const targets = new Float32Array(2 * directions * size);
  for (let r = 0; r < 2 * directions; r++) targets.set(target, r * size);
  const moved = await model.compute(rows, 2 * directions, targets);
  const L = lossesOf(moved.representation, targets, 2 * directions);
  let worst = 0;
  for (let k = 0; k < directions; k++) {
    const fd = (L[2 * k] - L[2 * k + 1]) / (2 * h);
    let an = 0;
    for (let j = 0; j < per; j++) an += at.grad[j] * vs[k][j];
    worst = Math.max(worst, Math.abs(fd - an) / Math.max(Math.abs(fd), Math.abs(an), 1e-3));
  }
  assert.ok(worst < tol, `worst relative difference ${worst} ≥ ${tol}`);
}

for (const [file, layer, overrides, what, h, tol] of [
  [
    'opset13.onnx',
    'a1',
    { input: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } },
    'a Tanh activation of an NHWC model with mean/std',
    1e-2,
    1e-3,
  ],
  ['opset13.onnx', null, { input: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } }, 'the default (the last Gemm input)', 1e-2, 1e-3],
  ['opset17.onnx', 'h', {}, 'a Gemm output of a fixed-batch MLP', 1e-2, 1e-3],
  ['opset11.onnx', 'r1', {}, 'a ReLU activation (4-D)', 1e-3, 2e-2],
] as [string, string | null, ConfigOverrides, string, number, number][]) {
  test(`representation gradient agrees with finite differences: ${file}, ${what}`, async () => {
    const builder = await builderFor(models.path(file), overrides);
    const rep = builder.representation(layer);
    if (layer === null) {
      assert.equal(rep.name, 'f');
      assert.equal(rep.source, 'default');
    }
    const model = await RepresentationModel.open(builder, rep, { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: file });
    try {
      await checkAgainstFiniteDifferences(model, builder.pixelShape, h, tol, 11);
    } finally {
      await model.dispose();
    }
  });
}

test(
  'representation gradient on the shared MNIST CNN agrees with finite differences (default tensor: the last Gemm input, the hidden ReLU layer)',
  { skip: SKIP_NO_SHARED },
  async () => {
    const builder = await builderFor(sharedPath('models', 'mnist-cnn.onnx'));
    const rep = builder.representation(null);
    assert.equal(rep.name, '/classifier/classifier.2/Relu_output_0');
    assert.deepEqual(rep.sampleShape, [rep.size]);
    const model = await RepresentationModel.open(builder, rep, { executionProvider: 'cpu', threads: 1, maxBatch: 64, label: 'mnist-cnn' });
    try {
      // ReLU and MaxPool kinks: the bar of classifierGradient.test.ts's piecewise-linear model (5e-2).
      await checkAgainstFiniteDifferences(model, builder.pixelShape, 1e-3, 5e-2, 12);
    } finally {
      await model.dispose();
    }
  },
);

test('an unknown tensor is refused with the nearest names; a constant branch and a zero-gradient path are refused', async () => {
  const b13 = await builderFor(models.path('opset13.onnx'), { input: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } });
  assert.throws(
    () => b13.representation('a2'),
    (e: Error & { details?: { hint?: string } }) =>
      /no tensor named "a2" in the graph/.test(e.message) && /nearest names: "a1"/.test(e.details?.hint ?? ''),
  );
  const side = await builderFor(models.path('side.onnx'));
  assert.throws(() => side.representation('const_branch'), /tensor "const_branch" does not depend on the image input/);
  assert.throws(
    () => side.representation('w1'),
    (e: Error & { details?: { hint?: string } }) =>
      /tensor "w1" does not depend on the image input/.test(e.message) && /an initializer/.test(e.details?.hint ?? ''),
  );
  assert.equal(side.representation('h2').name, 'h2');
  const argmax = await builderFor(models.path('argmax.onnx')).catch((e: Error) => e);
  // the logits of this model are themselves behind ArgMax: the builder refuses it before any tensor is named
  assert.ok(argmax instanceof Error && /zero gradient/.test(argmax.message));
});

test('nearestNames: containing names first, then by edit distance', () => {
  assert.deepEqual(nearestNames('relu', ['conv1', 'relu1', 'relu2', 'pool'], 2), ['relu1', 'relu2']);
  assert.deepEqual(nearestNames('pool2', ['conv1', 'pool1', 'fc'], 1), ['pool1']);
});
