/**
 * Gradient checks of the elementwise/dense family against central differences: every case of
 * cases/elementwise.ts (every op, its attribute forms and the opsets whose forms differ), refusals, and
 * multi-node graphs (bool constants, chains, a symbolic batch).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel, type NodeProto, type TensorProto } from '../../../src/engine/onnx/onnxProto';
import { TensorDataType } from '../../../src/engine/onnx/tensorData';
import { buildVjpModel, prepareForward } from '../../../src/engine/grad/vjpModel';
import { Rng } from '../../../src/engine/util/random';
import { away, count, ELEMENTWISE_CASES } from './cases/elementwise';
import { checkOpGradient, type OpCase } from './opCheck';

// ---- helpers ------------------------------------------------------------------------------------------

/** Declares a test of one case and reports its max relative error as a test diagnostic. */
function check(name: string, c: OpCase): void {
  test(name, async (t) => {
    const r = await checkOpGradient(c);
    t.diagnostic(`max relative error ${r.maxRelError.toExponential(2)}`);
  });
}

/** Declares a test expecting the gradient build to be refused with a message matching `why`. */
function rejects(name: string, c: OpCase, why: RegExp): void {
  test(name, async () => {
    await assert.rejects(checkOpGradient(c), why);
  });
}

interface GraphInput {
  name: string;
  dims: number[];
  data?: number[];
  /** dims[0] follows the batch (with GraphCase.batch). */ batched?: boolean;
}
interface GraphCase {
  nodes: NodeProto[];
  /** Float32 graph inputs, all differentiated. */
  inputs: GraphInput[];
  initializers?: TensorProto[];
  outputs: string[];
  opset?: number;
  /** Declare dim 0 of the batched inputs symbolic, probe shapes at these batch sizes and check at `at`. */
  batch?: { probe: number[]; at: number };
  tolerance?: number;
}

/**
 * Like checkOpGradient, for a multi-node graph (bool constants, chains) and optionally a symbolic batch
 * dim probed at some batch sizes and checked at another: catches gradients that bake in the probe shape.
 */
async function checkGraphGradient(c: GraphCase): Promise<number> {
  const rng = new Rng(11);
  const dimsAt = (inp: GraphInput, b?: number) => (b === undefined || !inp.batched ? inp.dims : [b, ...inp.dims.slice(1)]);
  const valuesAt = (b?: number) =>
    c.inputs.map((inp) => {
      const n = count(dimsAt(inp, b));
      return inp.data && b === undefined ? Float64Array.from(inp.data) : Float64Array.from({ length: n }, () => rng.normal());
    });
  const feeds = (vals: Float64Array[], b?: number) =>
    Object.fromEntries(c.inputs.map((inp, i) => [inp.name, new ort.Tensor('float32', Float32Array.from(vals[i]), dimsAt(inp, b))]));
  const model = makeModel({
    opsetImports: [{ domain: '', version: c.opset ?? 17 }],
    graph: {
      nodes: c.nodes,
      inputs: c.inputs.map((inp) => makeValueInfo(inp.name, 'float32', c.batch && inp.batched ? ['N', ...inp.dims.slice(1)] : inp.dims)),
      outputs: c.outputs.map((o) => ({ name: o, docString: '', metadataProps: [] })),
      initializers: c.initializers ?? [],
    },
  });
  const at = c.batch?.at;
  const values = valuesAt(at);
  const probeFeeds = c.batch ? c.batch.probe.map((b) => feeds(valuesAt(b), b)) : [feeds(values)];
  const wrt = c.inputs.map((i) => i.name);
  const prepared = await prepareForward(model, wrt, probeFeeds, 'graph test model');
  const vjp = buildVjpModel(prepared, wrt, c.outputs);
  const fwd = await ort.InferenceSession.create(encodeModel(model));
  const vjpSession = await ort.InferenceSession.create(encodeModel(vjp.model));
  const base = await fwd.run(feeds(values, at));
  const cot = c.outputs.map((o) => Float64Array.from({ length: base[o].size }, () => rng.normal()));
  const objective = async (vals: Float64Array[]) => {
    const out = await fwd.run(feeds(vals, at));
    let s = 0;
    c.outputs.forEach((o, k) => {
      const d = out[o].data as Float32Array;
      for (let j = 0; j < d.length; j++) s += cot[k][j] * d[j];
    });
    return s;
  };
  const vf = feeds(values, at);
  c.outputs.forEach((o, k) => {
    vf[vjp.cotangents[k]] = new ort.Tensor('float32', Float32Array.from(cot[k]), base[o].dims);
  });
  const res = await vjpSession.run(vf);
  let worst = 0;
  for (let i = 0; i < c.inputs.length; i++) {
    const analytic = res[vjp.grads[i]].data as Float32Array;
    assert.equal(analytic.length, values[i].length, `gradient of ${c.inputs[i].name} has the wrong size`);
    const numeric = new Float64Array(values[i].length);
    const h = 1e-2;
    for (let j = 0; j < numeric.length; j++) {
      const f = async (d: number) => {
        const v = values.map((x) => x.slice());
        v[i][j] += d;
        return objective(v);
      };
      const d1 = ((await f(h)) - (await f(-h))) / (2 * h);
      const d2 = ((await f(h / 2)) - (await f(-h / 2))) / h;
      numeric[j] = (4 * d2 - d1) / 3;
    }
    const scale = Math.max(1e-6, ...Array.from(numeric, Math.abs));
    const err = Math.max(...Array.from(numeric, (v, j) => Math.abs(v - analytic[j]))) / scale;
    worst = Math.max(worst, err);
    assert.ok(err <= (c.tolerance ?? 2e-3), `input ${c.inputs[i].name}: relative error ${err.toExponential(2)}`);
  }
  await fwd.release();
  await vjpSession.release();
  return worst;
}

function checkGraph(name: string, c: GraphCase, todo?: string): void {
  test(name, { todo }, async (t) => {
    t.diagnostic(`max relative error ${(await checkGraphGradient(c)).toExponential(2)}`);
  });
}

const boolTensor = (name: string, dims: number[], values: boolean[]) =>
  makeTensor(
    name,
    dims,
    Uint8Array.from(values, (v) => (v ? 1 : 0)),
    TensorDataType.BOOL,
  );

for (const { name, check: c } of ELEMENTWISE_CASES) check(name, c);

// ---- Sub / Mul / Div ----------------------------------------------------------------------------------

checkGraph('Mul x·x (same tensor as both operands)', {
  nodes: [makeNode('Mul', ['x', 'x'], ['y'])],
  inputs: [{ name: 'x', dims: [2, 3] }],
  outputs: ['y'],
});

// ---- Einsum refusals ----------------------------------------------------------------------------------

rejects(
  'Einsum with a diagonal of the differentiated operand is refused, naming node and equation',
  { op: 'Einsum', inputs: [{ dims: [3, 3] }], attrs: { equation: 'ii->i' }, opset: 12 },
  /node "op_under_test" \(Einsum\): equation "ii->i": operand 0 repeats a subscript/,
);
rejects(
  'Einsum whose ellipsis broadcasts a size-1 dim is refused',
  { op: 'Einsum', inputs: [{ dims: [1, 3, 4] }, { dims: [2, 4, 2] }], attrs: { equation: '...ij,...jk->...ik' }, opset: 12 },
  /equation "\.\.\.ij,\.\.\.jk->\.\.\.ik": subscript "\w" has size 1 in one operand and 2 in another/,
);

// ---- Cast / CastLike ----------------------------------------------------------------------------------

rejects(
  'Cast float → int64 is refused: it blocks the gradient',
  { op: 'Cast', inputs: [{ dims: [2, 3] }], attrs: { to: TensorDataType.INT64 } },
  /no useful gradient: node "op_under_test" \(Cast\)/,
);
rejects(
  'Cast float → bool is refused: it blocks the gradient',
  { op: 'Cast', inputs: [{ dims: [2, 3] }], attrs: { to: TensorDataType.BOOL }, opset: 13 },
  /no useful gradient: node "op_under_test" \(Cast\)/,
);
checkGraph('Cast float → double → float chain', {
  nodes: [makeNode('Cast', ['x'], ['d'], { to: TensorDataType.DOUBLE }), makeNode('Cast', ['d'], ['y'], { to: TensorDataType.FLOAT })],
  inputs: [{ name: 'x', dims: [2, 3] }],
  outputs: ['y'],
});
checkGraph('CastLike float → double → float (float template from the input itself)', {
  nodes: [makeNode('CastLike', ['x', 'like'], ['d']), makeNode('CastLike', ['d', 'x'], ['y'])],
  inputs: [{ name: 'x', dims: [2, 3] }],
  outputs: ['y'],
  initializers: [makeTensor('like', [1], Float64Array.of(0))],
});

// ---- Dropout / Where / Expand / Tile ------------------------------------------------------------------

checkGraph('Dropout, training_mode constant false', {
  nodes: [makeNode('Dropout', ['x', 'ratio', 'mode'], ['y', 'mask'])],
  inputs: [{ name: 'x', dims: [2, 3] }],
  outputs: ['y'],
  initializers: [makeTensor('ratio', [], Float32Array.of(0.5)), boolTensor('mode', [], [false])],
});
test('Dropout, training_mode true with a non-zero ratio is refused (random)', async () => {
  await assert.rejects(
    checkGraphGradient({
      nodes: [makeNode('Dropout', ['x', 'ratio', 'mode'], ['y', 'mask'])],
      inputs: [{ name: 'x', dims: [2, 3] }],
      outputs: ['y'],
      initializers: [makeTensor('ratio', [], Float32Array.of(0.5)), boolTensor('mode', [], [true])],
    }),
    /training-mode dropout is random/,
  );
});
// torchvision 0.14's Swin exports F.dropout(p=0.0) with training=True: ratio 0 keeps every value, y = x.
checkGraph('Dropout, training_mode true with ratio 0 (an identity)', {
  nodes: [makeNode('Dropout', ['x', 'ratio', 'mode'], ['y', 'mask'])],
  inputs: [{ name: 'x', dims: [2, 3] }],
  outputs: ['y'],
  initializers: [makeTensor('ratio', [], Float32Array.of(0)), boolTensor('mode', [], [true])],
});

checkGraph('Where, both branches differentiated, same shapes', {
  nodes: [makeNode('Where', ['c', 'x', 'z'], ['y'])],
  inputs: [
    { name: 'x', dims: [2, 3] },
    { name: 'z', dims: [2, 3] },
  ],
  outputs: ['y'],
  initializers: [boolTensor('c', [2, 3], [true, false, false, true, true, false])],
});
checkGraph('Where, broadcasting condition and branches (opset 11)', {
  opset: 11,
  nodes: [makeNode('Where', ['c', 'x', 'z'], ['y'])],
  inputs: [
    { name: 'x', dims: [2, 1] },
    { name: 'z', dims: [3] },
  ],
  outputs: ['y'],
  initializers: [boolTensor('c', [2, 3], [true, false, true, false, true, true])],
});
checkGraph('Where with a constant branch (masked fill)', {
  nodes: [makeNode('Where', ['c', 'x', 'fill'], ['y'])],
  inputs: [{ name: 'x', dims: [2, 3] }],
  outputs: ['y'],
  initializers: [boolTensor('c', [1, 3], [true, false, true]), makeTensor('fill', [], Float32Array.of(-5))],
});

// ---- symbolic batch: probed at batch sizes 2 and 3, checked at 4 ---------------------------------------

const batch = { probe: [2, 3], at: 4 };
checkGraph('batch-robust: Tile repeating the batch axis', {
  batch,
  nodes: [makeNode('Tile', ['x', 'r'], ['y'])],
  inputs: [{ name: 'x', dims: [0, 3], batched: true }],
  outputs: ['y'],
  initializers: [makeTensor('r', [2], BigInt64Array.of(2n, 2n))],
});
checkGraph('batch-robust: MatMul 1-D weight and batched broadcast', {
  batch,
  nodes: [makeNode('MatMul', ['x', 'w'], ['h']), makeNode('MatMul', ['h', 'v'], ['y'])],
  inputs: [
    { name: 'x', dims: [0, 2, 3], batched: true },
    { name: 'w', dims: [3, 4] },
    { name: 'v', dims: [4] },
  ],
  outputs: ['y'],
});
checkGraph('batch-robust: Gemm → Softmax over classes, Mul/Div by per-class constants', {
  batch,
  nodes: [
    makeNode('Gemm', ['x', 'w', 'b'], ['z'], { transB: 1 }),
    makeNode('Mul', ['z', 's'], ['z2']),
    makeNode('Div', ['z2', 't'], ['z3']),
    makeNode('LogSoftmax', ['z3'], ['y'], { axis: 1 }),
  ],
  inputs: [{ name: 'x', dims: [0, 5], batched: true }],
  outputs: ['y'],
  initializers: [
    makeTensor('w', [3, 5], Float32Array.from(away([3, 5], [], 21))),
    makeTensor('b', [3], Float32Array.of(0.1, -0.2, 0.3)),
    makeTensor('s', [3], Float32Array.of(1, 2, -1)),
    makeTensor('t', [], Float32Array.of(1.5)),
  ],
});
checkGraph('batch-robust: Max/Where/Pow with operands broadcast along the batch', {
  batch,
  nodes: [makeNode('Max', ['x', 'v'], ['m']), makeNode('Where', ['c', 'm', 'x'], ['w']), makeNode('Pow', ['w', 'p'], ['y'])],
  inputs: [
    { name: 'x', dims: [0, 3], batched: true },
    { name: 'v', dims: [1, 3] },
  ],
  outputs: ['y'],
  initializers: [boolTensor('c', [3], [true, false, true]), makeTensor('p', [], Float32Array.of(2))],
});
checkGraph('batch-robust: Expand to Shape(x) along the batch, Max with the expanded operand', {
  batch,
  nodes: [makeNode('Shape', ['x'], ['sh']), makeNode('Expand', ['v', 'sh'], ['ve']), makeNode('Max', ['x', 've'], ['y'])],
  inputs: [
    { name: 'x', dims: [0, 3], batched: true },
    { name: 'v', dims: [1, 3] },
  ],
  outputs: ['y'],
});
