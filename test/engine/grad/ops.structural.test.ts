/**
 * Gradient checks of the structural family (normalisation, shape and reduction ops): the one-node cases
 * of cases/structural.ts through checkOpGradient, refusals, plus hand-built multi-node graphs probed at
 * batch sizes 2 and 3 and checked at batch 4, so gradients must not bake in the probe's batch size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeModel, makeNode, makeTensor, makeValueInfo, type AttrValue } from '../../../src/engine/onnx/build';
import { encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/engine/onnx/onnxProto';
import { buildVjpModel, prepareForward } from '../../../src/engine/grad/vjpModel';
import { Rng } from '../../../src/engine/util/random';
import { bnParams, STRUCTURAL_CASES } from './cases/structural';
import { checkOpGradient, type OpCase } from './opCheck';

const INT64_MAX = 9223372036854775807n;

/** A check that also reports the relative error it observed. */
function opTest(name: string, c: OpCase): void {
  test(`${c.op}: ${name}`, async (t) => {
    const { maxRelError } = await checkOpGradient(c);
    t.diagnostic(`max relative error ${maxRelError.toExponential(2)}`);
  });
}

function rejects(name: string, c: OpCase, message: RegExp): void {
  test(`${c.op}: ${name} is rejected`, async () => {
    await assert.rejects(checkOpGradient(c), message);
  });
}

for (const { name, check: c } of STRUCTURAL_CASES) opTest(name, c);

// ---- BatchNormalization ------------------------------------------------------------------------------

rejects(
  'training_mode=1',
  {
    op: 'BatchNormalization',
    attrs: { training_mode: 1 },
    outputs: 3,
    seededOutputs: [0],
    inputs: [{ dims: [2, 3, 2, 2] }, ...bnParams(3)],
  },
  /training_mode=1/,
);

// ---- multi-node graphs with a dynamic batch ---------------------------------------------------------

interface GraphCase {
  nodes: NodeProto[];
  initializers?: TensorProto[];
  /** Per-sample dims of the input "x" (the batch axis comes first). */
  sample: number[];
  outputs: string[];
  opset?: number;
}

const out = (name: string) => ({ name, docString: '', metadataProps: [] });
const i64 = (name: string, values: (number | bigint)[], dims: number[] = [values.length]) =>
  makeTensor(
    name,
    dims,
    BigInt64Array.from(values, (v) => BigInt(v)),
  );
const node = (op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}) =>
  makeNode(op, inputs, outputs, attrs, outputs[0]);

/** Probes at batch sizes 2 and 3, then checks Σ c·outputs differentiated wrt x at batch 4 against central differences. */
async function checkGraph(g: GraphCase, batch = 4): Promise<number> {
  const model: ModelProto = makeModel({
    opsetImports: [{ domain: '', version: g.opset ?? 17 }],
    graph: {
      nodes: g.nodes,
      inputs: [makeValueInfo('x', 'float32', ['N', ...g.sample])],
      outputs: g.outputs.map(out),
      initializers: g.initializers ?? [],
    },
  });
  const per = g.sample.reduce((a, b) => a * b, 1);
  const rng = new Rng(3);
  const probeFeeds = [2, 3].map((b) => ({
    x: new ort.Tensor(
      'float32',
      Float32Array.from({ length: b * per }, () => rng.normal()),
      [b, ...g.sample],
    ),
  }));
  const prepared = await prepareForward(model, ['x'], probeFeeds, 'graph test');
  const vjp = buildVjpModel(prepared, ['x'], g.outputs);
  const fwd = await ort.InferenceSession.create(encodeModel(model));
  const vjpSession = await ort.InferenceSession.create(encodeModel(vjp.model));
  const dims = [batch, ...g.sample];
  const x = Float64Array.from({ length: batch * per }, () => rng.normal());
  const feed = (v: Float64Array) => ({ x: new ort.Tensor('float32', Float32Array.from(v), dims) });
  const base = await fwd.run(feed(x));
  const cot = g.outputs.map((o) => Float64Array.from({ length: base[o].size }, () => rng.normal()));
  const objective = async (v: Float64Array) => {
    const r = await fwd.run(feed(v));
    let s = 0;
    g.outputs.forEach((o, k) =>
      (r[o].data as Float32Array).forEach((d, j) => {
        s += cot[k][j] * d;
      }),
    );
    return s;
  };
  const feeds: Record<string, ort.Tensor> = feed(x);
  g.outputs.forEach((o, k) => {
    feeds[vjp.cotangents[k]] = new ort.Tensor('float32', Float32Array.from(cot[k]), base[o].dims);
  });
  const analytic = (await vjpSession.run(feeds))[vjp.grads[0]].data as Float32Array;
  assert.equal(analytic.length, x.length);
  const h = 1e-2;
  const numeric = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const at = async (d: number) => {
      const v = x.slice();
      v[j] += d;
      return objective(v);
    };
    const d1 = ((await at(h)) - (await at(-h))) / (2 * h);
    const d2 = ((await at(h / 2)) - (await at(-h / 2))) / h;
    numeric[j] = (4 * d2 - d1) / 3;
  }
  const scale = Math.max(1e-6, ...Array.from(numeric, Math.abs));
  let worst = 0;
  numeric.forEach((n, j) => {
    worst = Math.max(worst, Math.abs(analytic[j] - n) / scale);
  });
  assert.ok(worst <= 2e-3, `relative error ${worst.toExponential(2)}`);
  await fwd.release();
  await vjpSession.release();
  return worst;
}

function graphTest(name: string, g: GraphCase, todo?: string): void {
  test(`graph: ${name}`, { todo }, async (t) => {
    t.diagnostic(`max relative error ${(await checkGraph(g)).toExponential(2)}`);
  });
}

/** PyTorch's flatten export: Shape → Gather(0) → Unsqueeze → Concat with [-1] → Reshape. */
const torchFlatten = (opset: number): GraphCase => ({
  opset,
  sample: [3, 2, 2],
  outputs: ['y'],
  initializers: [i64('zero', [0], []), i64('minus1', [-1]), ...(opset >= 13 ? [i64('axes0', [0])] : [])],
  nodes: [
    node('Shape', ['x'], ['shape']),
    node('Gather', ['shape', 'zero'], ['n'], { axis: 0 }),
    opset >= 13 ? node('Unsqueeze', ['n', 'axes0'], ['n1']) : node('Unsqueeze', ['n'], ['n1'], { axes: [0] }),
    node('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
    node('Reshape', ['x', 'target'], ['flat']),
    node('Transpose', ['flat'], ['y'], { perm: [1, 0] }),
  ],
});
// Shape(x) reads only x's shape: the shape computation must stay off the gradient path.
graphTest('PyTorch flatten pattern (Shape→Gather→Unsqueeze→Concat→Reshape), opset 11', torchFlatten(11));
graphTest('PyTorch flatten pattern (Shape→Gather→Unsqueeze→Concat→Reshape), opset 13', torchFlatten(13));

graphTest('Concat along the batch axis of a tensor with itself, then Split and Slice', {
  sample: [2, 3],
  outputs: ['p', 'b', 's'],
  initializers: [i64('st', [1, 0]), i64('en', [3, 2]), i64('ax', [1, 2])],
  nodes: [
    node('Concat', ['x', 'x'], ['xx'], { axis: 0 }),
    node('Split', ['xx'], ['p', 'q'], { axis: 2, num_outputs: 2 }),
    node('Add', ['q', 'q'], ['b']),
    node('Slice', ['x', 'st', 'en', 'ax'], ['s']),
  ],
  opset: 18,
});

graphTest('Gather on the batch axis with negative indices', {
  sample: [3],
  outputs: ['y'],
  initializers: [i64('idx', [-1, 0, -1])],
  nodes: [node('Gather', ['x', 'idx'], ['y'], { axis: 0 })],
});

graphTest('Slice with a full batch range and step 2 / -1 elsewhere', {
  sample: [3, 5],
  outputs: ['y'],
  initializers: [i64('st', [0, 2, 0]), i64('en', [INT64_MAX, -1000, 5]), i64('ax', [0, 1, 2]), i64('sp', [1, -1, 2])],
  nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
});

graphTest('ReduceMean and ReduceMax over the batch axis', {
  sample: [2, 3],
  outputs: ['m', 'n'],
  initializers: [i64('axes', [0, 2])],
  nodes: [node('ReduceMean', ['x', 'axes'], ['m'], { keepdims: 0 }), node('ReduceMax', ['x', 'axes'], ['n'])],
  opset: 18,
});

graphTest('LayerNormalization over every axis incl. the batch, with Mean and InvStdDev', {
  sample: [2, 2],
  outputs: ['y', 'mu', 'r'],
  initializers: [makeTensor('g', [2, 2], [1, 0.5, -1, 2])],
  nodes: [node('LayerNormalization', ['x', 'g'], ['y', 'mu', 'r'], { axis: 0 })],
});

graphTest('BatchNormalization → InstanceNormalization → GlobalAverage via ReduceMean → Flatten', {
  sample: [2, 2, 3],
  outputs: ['y'],
  initializers: [
    makeTensor('s', [2], [1.5, -0.5]),
    makeTensor('b', [2], [0.1, 0.2]),
    makeTensor('mean', [2], [0.3, -0.1]),
    makeTensor('var', [2], [0.7, 1.4]),
    makeTensor('is', [2], [0.9, 1.1]),
    makeTensor('ib', [2], [0, 0.3]),
  ],
  nodes: [
    node('BatchNormalization', ['x', 's', 'b', 'mean', 'var'], ['bn']),
    node('InstanceNormalization', ['bn', 'is', 'ib'], ['in']),
    node('Add', ['in', 'bn'], ['prod']),
    node('ReduceMean', ['prod'], ['gap'], { axes: [2, 3] }),
    node('Flatten', ['gap'], ['y']),
  ],
  opset: 13,
});

test('graph: Slice of the batch axis is rejected with the node named', async () => {
  await assert.rejects(
    checkGraph({
      sample: [3],
      outputs: ['y'],
      initializers: [i64('st', [1]), i64('en', [2]), i64('ax', [0])],
      nodes: [node('Slice', ['x', 'st', 'en', 'ax'], ['y'])],
    }),
    /node "y" \(Slice\): slicing axis 0, whose length follows the batch size/,
  );
});
