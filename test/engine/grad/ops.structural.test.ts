/**
 * Gradient checks of the structural family (normalisation, shape and reduction ops): one-node models at
 * several opsets through checkOpGradient, plus hand-built multi-node graphs probed at batch sizes 2 and 3
 * and checked at batch 4, so gradients must not bake in the probe's batch size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeModel, makeNode, makeTensor, makeValueInfo, type AttrValue } from '../../../src/engine/onnx/build';
import { encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/engine/onnx/onnxProto';
import { buildVjpModel, prepareForward } from '../../../src/engine/grad/vjpModel';
import { Rng } from '../../../src/engine/util/random';
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

/** n distinct values at least 0.1 apart in a seeded order (no ties for max-like ops). */
function spread(n: number, seed = 7): number[] {
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((k) => (k - n / 2) * 0.13 + 0.01);
}

const ints = (values: number[], dims: number[] = [values.length]) => ({ dims, data: values, int64: true });
const konst = (dims: number[], data?: number[]) => ({ dims, data, constant: true });
const absent = { dims: [], absent: true };

// ---- BatchNormalization ------------------------------------------------------------------------------

const bnParams = (c: number, constant = true) => {
  const p = (data: number[]) => ({ dims: [c], data, constant });
  return [p([1.5, -0.7, 0.9, 2].slice(0, c)), p([0.1, 0.2, -0.3, 0.4].slice(0, c)), p([0.3, -0.2, 0.5, 0].slice(0, c)), p([0.5, 1.2, 2.0, 0.8].slice(0, c))];
};
opTest('opset 11 (version 9), NCHW, default epsilon', { op: 'BatchNormalization', opset: 11, inputs: [{ dims: [2, 3, 2, 2] }, ...bnParams(3)] });
opTest('opset 14, training_mode=0, epsilon 1e-3', { op: 'BatchNormalization', opset: 14, attrs: { epsilon: 1e-3, training_mode: 0 }, inputs: [{ dims: [2, 3, 2, 2] }, ...bnParams(3)] });
opTest('opset 15, rank 2 [N, C], momentum ignored', { op: 'BatchNormalization', opset: 15, attrs: { momentum: 0.8 }, inputs: [{ dims: [3, 4] }, ...bnParams(4)] });
opTest('opset 17, rank 3 [N, C, L]', { op: 'BatchNormalization', inputs: [{ dims: [2, 2, 5] }, ...bnParams(2)] });
opTest('opset 21, rank 5', { op: 'BatchNormalization', opset: 21, inputs: [{ dims: [1, 2, 2, 2, 2] }, ...bnParams(2)] });
opTest('scale, B, mean and var differentiated too', { op: 'BatchNormalization', inputs: [{ dims: [2, 3, 2] }, ...bnParams(3, false)] });
rejects('training_mode=1', { op: 'BatchNormalization', attrs: { training_mode: 1 }, outputs: 3, seededOutputs: [0], inputs: [{ dims: [2, 3, 2, 2] }, ...bnParams(3)] }, /training_mode=1/);

// ---- InstanceNormalization --------------------------------------------------------------------------

opTest('opset 11, NCHW, constant scale/B', { op: 'InstanceNormalization', opset: 11, inputs: [{ dims: [2, 3, 2, 3] }, konst([3], [1.2, -0.5, 0.8]), konst([3], [0.1, 0, -0.2])] });
opTest('rank 3, epsilon 1e-3, scale/B differentiated', { op: 'InstanceNormalization', attrs: { epsilon: 1e-3 }, inputs: [{ dims: [2, 2, 5] }, { dims: [2] }, { dims: [2] }] });
opTest('opset 21, rank 5', { op: 'InstanceNormalization', opset: 21, inputs: [{ dims: [1, 2, 2, 2, 2] }, konst([2], [0.7, 1.3]), konst([2], [0.5, -0.5])] });

// ---- LayerNormalization -----------------------------------------------------------------------------

opTest('default axis -1, constant Scale and B', { op: 'LayerNormalization', inputs: [{ dims: [2, 3, 4] }, konst([4], [1, -0.5, 2, 0.7]), konst([4], [0.1, 0.2, 0.3, 0.4])] });
// B omitted (not passed as ''): onnxruntime 1.30 crashes creating a session with an explicit '' B when graph optimisations are on.
opTest('axis 1 over [C,H,W], B omitted', { op: 'LayerNormalization', attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 2, 2] }, konst([3, 2, 2])] });
opTest('axis 0 (whole tensor), epsilon 1e-2', { op: 'LayerNormalization', attrs: { axis: 0, epsilon: 1e-2 }, inputs: [{ dims: [2, 3] }, konst([2, 3]), konst([2, 3])] });
opTest('axis -2 with Mean and InvStdDev outputs seeded', { op: 'LayerNormalization', attrs: { axis: -2 }, outputs: 3, inputs: [{ dims: [2, 3, 4] }, konst([3, 4]), konst([3, 4])] });
opTest('only the Mean and InvStdDev outputs seeded', { op: 'LayerNormalization', outputs: 3, seededOutputs: [1, 2], inputs: [{ dims: [3, 4] }, { dims: [4] }, { dims: [4] }] });
opTest('Scale and B differentiated, stash_type=1', { op: 'LayerNormalization', attrs: { stash_type: 1 }, inputs: [{ dims: [2, 3, 4] }, { dims: [4] }, { dims: [4] }] });
opTest('opset 18, Scale broadcast over the normalised shape', { op: 'LayerNormalization', opset: 18, attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 4] }, { dims: [1, 4] }, { dims: [3, 1] }] });

// ---- Flatten / Reshape / Transpose / Squeeze / Unsqueeze --------------------------------------------

opTest('default axis 1, opset 11', { op: 'Flatten', opset: 11, inputs: [{ dims: [2, 3, 2] }] });
opTest('axis 0', { op: 'Flatten', attrs: { axis: 0 }, inputs: [{ dims: [2, 3, 2] }] });
opTest('axis -1', { op: 'Flatten', attrs: { axis: -1 }, inputs: [{ dims: [2, 3, 2] }] });
opTest('axis = rank', { op: 'Flatten', opset: 13, attrs: { axis: 3 }, inputs: [{ dims: [2, 3, 2] }] });

opTest('shape with -1, opset 11', { op: 'Reshape', opset: 11, inputs: [{ dims: [2, 3, 2] }, ints([-1, 6])] });
opTest('shape with 0 (copy) and -1', { op: 'Reshape', opset: 13, inputs: [{ dims: [2, 3, 2] }, ints([0, -1, 2, 1])] });
opTest('allowzero=1, explicit shape', { op: 'Reshape', opset: 14, attrs: { allowzero: 1 }, inputs: [{ dims: [2, 3, 2] }, ints([3, 4])] });
opTest('to a scalar', { op: 'Reshape', inputs: [{ dims: [1, 1] }, ints([], [0])] });

opTest('default perm (reversed)', { op: 'Transpose', opset: 11, inputs: [{ dims: [2, 3, 4] }] });
opTest('NCHW → NHWC', { op: 'Transpose', attrs: { perm: [0, 2, 3, 1] }, inputs: [{ dims: [2, 3, 2, 2] }] });
opTest('non-involutive perm', { op: 'Transpose', attrs: { perm: [2, 0, 1] }, inputs: [{ dims: [2, 3, 4] }] });

opTest('axes attribute, opset 11', { op: 'Squeeze', opset: 11, attrs: { axes: [1, 3] }, inputs: [{ dims: [2, 1, 3, 1] }] });
opTest('axes input, negative axis, opset 13', { op: 'Squeeze', opset: 13, inputs: [{ dims: [2, 3, 1] }, ints([-1])] });
opTest('axes absent (all 1-dims)', { op: 'Squeeze', inputs: [{ dims: [1, 3, 1, 2] }] });
opTest('axes input, opset 21', { op: 'Squeeze', opset: 21, inputs: [{ dims: [1, 3, 1, 2] }, ints([0])] });

opTest('axes attribute, opset 11', { op: 'Unsqueeze', opset: 11, attrs: { axes: [0, 3] }, inputs: [{ dims: [2, 3] }] });
opTest('axes input with negative axes, opset 13', { op: 'Unsqueeze', opset: 13, inputs: [{ dims: [2, 3] }, ints([-1, 1])] });
opTest('axes input, opset 18', { op: 'Unsqueeze', opset: 18, inputs: [{ dims: [3] }, ints([0])] });

// ---- Concat / Split ---------------------------------------------------------------------------------

opTest('axis 1, two inputs, opset 11', { op: 'Concat', opset: 11, attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 2] }, { dims: [2, 1, 2] }] });
opTest('axis -1, three inputs, the middle one constant', { op: 'Concat', attrs: { axis: -1 }, inputs: [{ dims: [2, 2] }, konst([2, 3]), { dims: [2, 1] }] });
opTest('axis 0', { op: 'Concat', attrs: { axis: 0 }, inputs: [{ dims: [1, 3] }, { dims: [2, 3] }] });
opTest('a single input', { op: 'Concat', attrs: { axis: 0 }, inputs: [{ dims: [2, 3] }] });

opTest('split attribute, uneven, opset 11', { op: 'Split', opset: 11, attrs: { axis: 1, split: [1, 3] }, outputs: 2, inputs: [{ dims: [2, 4, 2] }] });
opTest('equal parts without split, opset 11', { op: 'Split', opset: 11, outputs: 3, inputs: [{ dims: [3, 2] }] });
opTest('split input, negative axis, opset 13', { op: 'Split', opset: 13, attrs: { axis: -1 }, outputs: 3, inputs: [{ dims: [2, 4] }, ints([2, 1, 1])] });
opTest('num_outputs 3 over 7 (3, 3, 1), opset 18', { op: 'Split', opset: 18, attrs: { axis: 1, num_outputs: 3 }, outputs: 3, inputs: [{ dims: [2, 7] }] });
opTest('num_outputs 2, even, opset 21', { op: 'Split', opset: 21, attrs: { num_outputs: 2 }, outputs: 2, inputs: [{ dims: [4, 2] }] });
opTest('the middle output receives no gradient', { op: 'Split', opset: 13, attrs: { axis: 1 }, outputs: 3, seededOutputs: [0, 2], inputs: [{ dims: [2, 5] }, ints([1, 2, 2])] });
opTest('only the last output seeded, opset 18', { op: 'Split', opset: 18, attrs: { num_outputs: 2 }, outputs: 2, seededOutputs: [1], inputs: [{ dims: [4, 3] }] });
opTest('a single output', { op: 'Split', outputs: 1, inputs: [{ dims: [2, 3] }] });

// ---- Slice ------------------------------------------------------------------------------------------

opTest('starts/ends only, opset 11', { op: 'Slice', opset: 11, inputs: [{ dims: [4, 5] }, ints([1, 2]), ints([3, 4])] });
opTest('axes given, one axis', { op: 'Slice', inputs: [{ dims: [2, 5, 3] }, ints([1]), ints([4]), ints([1])] });
opTest('negative starts/ends and negative axes', { op: 'Slice', inputs: [{ dims: [2, 5, 4] }, ints([-4, -3]), ints([-1, 4]), ints([-2, -1])] });
opTest('clamping to the dims (±1000, 2^53−1)', { op: 'Slice', opset: 13, inputs: [{ dims: [3, 4] }, { dims: [2], int64: true, data: [-1000, 1] }, { dims: [2], int64: true, data: [1000, Number.MAX_SAFE_INTEGER] }] });
opTest('step 2', { op: 'Slice', inputs: [{ dims: [2, 7] }, ints([1]), ints([7]), ints([1]), ints([2])] });
opTest('step 3 with an end that is not reached', { op: 'Slice', inputs: [{ dims: [3, 8] }, ints([0]), ints([7]), ints([1]), ints([3])] });
opTest('step -1, full reversal', { op: 'Slice', inputs: [{ dims: [2, 5] }, ints([-1]), ints([-1000]), ints([1]), ints([-1])] });
opTest('step -2 from the middle', { op: 'Slice', inputs: [{ dims: [2, 7] }, ints([5]), ints([0]), ints([-1]), ints([-2])] });
opTest('step 1 on one axis, step 2 and -1 on others', { op: 'Slice', inputs: [{ dims: [3, 6, 4] }, ints([1, 0, 3]), ints([3, 6, 0]), ints([0, 1, 2]), ints([1, 2, -1])] });
opTest('axes absent (\'\') with steps given', { op: 'Slice', inputs: [{ dims: [5, 4] }, ints([4, 0]), ints([0, 4]), absent, ints([-2, 3])] });
opTest('full range on one axis (no-op), opset 18', { op: 'Slice', opset: 18, inputs: [{ dims: [3, 4] }, ints([0, 1]), { dims: [2], int64: true, data: [Number.MAX_SAFE_INTEGER, 3] }] });

// ---- Gather / GatherElements ------------------------------------------------------------------------

opTest('axis 0, 1-D indices, opset 11', { op: 'Gather', opset: 11, inputs: [{ dims: [4, 3] }, ints([2, 0])] });
opTest('axis 1, negative indices', { op: 'Gather', attrs: { axis: 1 }, inputs: [{ dims: [2, 4, 2] }, ints([-1, 1, -4])] });
opTest('scalar index', { op: 'Gather', attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 2] }, ints([-2], [])] });
opTest('scalar index on axis 0', { op: 'Gather', inputs: [{ dims: [3, 2] }, ints([1], [])] });
opTest('2-D indices with repeats accumulate', { op: 'Gather', opset: 13, attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 2] }, ints([0, 2, 2, 0, 0, -1], [2, 3])] });
opTest('axis -1, 2-D indices', { op: 'Gather', attrs: { axis: -1 }, inputs: [{ dims: [2, 2, 3] }, ints([1, 1, 2, 0], [2, 2])] });

opTest('axis 0', { op: 'GatherElements', inputs: [{ dims: [3, 2] }, ints([0, 2, 1, 1], [2, 2])] });
opTest('axis -1, negative and repeated indices, opset 11', { op: 'GatherElements', opset: 11, attrs: { axis: -1 }, inputs: [{ dims: [2, 3] }, ints([-1, 0, 0, 2, 1, -3, 1, 1], [2, 4])] });

// ---- Reductions -------------------------------------------------------------------------------------

const r24 = { dims: [2, 3, 4], data: spread(24) };
const reductionCases = (op: string, attrOpset: number, inputOpset: number): void => {
  opTest(`axes attribute, keepdims default, opset ${attrOpset}`, { op, opset: attrOpset, attrs: { axes: [1] }, inputs: [r24] });
  opTest(`axes attribute, keepdims 0, negative axes, opset ${attrOpset}`, { op, opset: attrOpset, attrs: { axes: [-1, 0], keepdims: 0 }, inputs: [r24] });
  opTest(`axes absent (all), keepdims 0, opset ${attrOpset}`, { op, opset: attrOpset, attrs: { keepdims: 0 }, inputs: [r24] });
  opTest(`axes input, opset ${inputOpset}`, { op, opset: inputOpset, inputs: [r24, ints([0, 2])] });
  opTest(`axes input, keepdims 0, opset ${inputOpset}`, { op, opset: inputOpset, attrs: { keepdims: 0 }, inputs: [r24, ints([-2])] });
  opTest(`axes absent (all), opset ${inputOpset}`, { op, opset: inputOpset, inputs: [r24] });
  opTest(`empty axes input reduces all, opset ${inputOpset}`, { op, opset: inputOpset, attrs: { keepdims: 0 }, inputs: [r24, ints([], [0])] });
  opTest(`noop_with_empty_axes=1, axes absent, opset ${inputOpset}`, { op, opset: inputOpset, attrs: { noop_with_empty_axes: 1 }, inputs: [r24] });
  opTest(`noop_with_empty_axes=1, empty axes input, opset 21`, { op, opset: 21, attrs: { noop_with_empty_axes: 1, keepdims: 0 }, inputs: [r24, ints([], [0])] });
  opTest(`noop_with_empty_axes=1 with axes given, opset ${inputOpset}`, { op, opset: inputOpset, attrs: { noop_with_empty_axes: 1, keepdims: 0 }, inputs: [r24, ints([1])] });
};
reductionCases('ReduceMean', 11, 18);
opTest('axes attribute, opset 17', { op: 'ReduceMean', opset: 17, attrs: { axes: [2, 3] }, inputs: [{ dims: [2, 3, 2, 2] }] });
reductionCases('ReduceSum', 11, 13);
opTest('axes attribute, opset 12', { op: 'ReduceSum', opset: 12, attrs: { axes: [1], keepdims: 0 }, inputs: [r24] });
reductionCases('ReduceMax', 11, 18);
opTest('axes attribute, opset 13', { op: 'ReduceMax', opset: 13, attrs: { axes: [2], keepdims: 0 }, inputs: [r24] });
reductionCases('ReduceL2', 11, 18);
reductionCases('ReduceSumSquare', 11, 18);
reductionCases('ReduceLogSumExp', 11, 18);

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
const i64 = (name: string, values: (number | bigint)[], dims: number[] = [values.length]) => makeTensor(name, dims, BigInt64Array.from(values, (v) => BigInt(v)));
const node = (op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}) => makeNode(op, inputs, outputs, attrs, outputs[0]);

/** Probes at batch sizes 2 and 3, then checks Σ c·outputs differentiated wrt x at batch 4 against central differences. */
async function checkGraph(g: GraphCase, batch = 4): Promise<number> {
  const model: ModelProto = makeModel({
    opsetImports: [{ domain: '', version: g.opset ?? 17 }],
    graph: { nodes: g.nodes, inputs: [makeValueInfo('x', 'float32', ['N', ...g.sample])], outputs: g.outputs.map(out), initializers: g.initializers ?? [] },
  });
  const per = g.sample.reduce((a, b) => a * b, 1);
  const rng = new Rng(3);
  const probeFeeds = [2, 3].map((b) => ({ x: new ort.Tensor('float32', Float32Array.from({ length: b * per }, () => rng.normal()), [b, ...g.sample]) }));
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
    g.outputs.forEach((o, k) => (r[o].data as Float32Array).forEach((d, j) => { s += cot[k][j] * d; }));
    return s;
  };
  const feeds: Record<string, ort.Tensor> = feed(x);
  g.outputs.forEach((o, k) => { feeds[vjp.cotangents[k]] = new ort.Tensor('float32', Float32Array.from(cot[k]), base[o].dims); });
  const analytic = (await vjpSession.run(feeds))[vjp.grads[0]].data as Float32Array;
  assert.equal(analytic.length, x.length);
  const h = 1e-2;
  const numeric = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const at = async (d: number) => { const v = x.slice(); v[j] += d; return objective(v); };
    const d1 = ((await at(h)) - (await at(-h))) / (2 * h);
    const d2 = ((await at(h / 2)) - (await at(-h / 2))) / h;
    numeric[j] = (4 * d2 - d1) / 3;
  }
  const scale = Math.max(1e-6, ...Array.from(numeric, Math.abs));
  let worst = 0;
  numeric.forEach((n, j) => { worst = Math.max(worst, Math.abs(analytic[j] - n) / scale); });
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
    makeTensor('s', [2], [1.5, -0.5]), makeTensor('b', [2], [0.1, 0.2]), makeTensor('mean', [2], [0.3, -0.1]), makeTensor('var', [2], [0.7, 1.4]),
    makeTensor('is', [2], [0.9, 1.1]), makeTensor('ib', [2], [0, 0.3]),
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
  await assert.rejects(checkGraph({
    sample: [3],
    outputs: ['y'],
    initializers: [i64('st', [1]), i64('en', [2]), i64('ax', [0])],
    nodes: [node('Slice', ['x', 'st', 'en', 'ax'], ['y'])],
  }), /node "y" \(Slice\): slicing axis 0, whose length follows the batch size/);
});
