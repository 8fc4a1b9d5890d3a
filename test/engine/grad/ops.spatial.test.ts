// Finite-difference checks of the spatial gradient modules (the cases of cases/spatial.ts: Conv, ConvTranspose,
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Pad, Resize), refusals, and batch-size robustness.
// Set GRAD_REPORT=1 to print the worst relative error per op.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeModel, makeNode, makeTensor, makeValueInfo, type AttrValue } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { buildVjpModel, prepareForward } from '../../../src/engine/grad/vjpModel';
import { Rng } from '../../../src/engine/util/random';
import { distinctX, size, SPATIAL_CASES } from './cases/spatial';
import { checkOpGradient, type OpCase } from './opCheck';

const worst = new Map<string, number>();
after(() => {
  if (!process.env.GRAD_REPORT) return;
  for (const [op, err] of [...worst].sort()) console.log(`max relative error ${op}: ${err.toExponential(2)}`);
});

function check(name: string, c: OpCase): void {
  test(`${c.op}: ${name}`, async () => {
    const { maxRelError } = await checkOpGradient(c);
    worst.set(c.op, Math.max(worst.get(c.op) ?? 0, maxRelError));
  });
}

function rejects(name: string, c: OpCase, message: RegExp): void {
  test(`${c.op}: ${name} is rejected`, async () => {
    await assert.rejects(checkOpGradient(c), message);
  });
}

for (const { name, check: c } of SPATIAL_CASES) check(name, c);

// ---- MaxPool ------------------------------------------------------------------------------------------

rejects(
  'storage_order 1',
  { op: 'MaxPool', inputs: [distinctX(1, 1, 4, 4)], attrs: { kernel_shape: [2, 2], storage_order: 1 } },
  /storage_order/,
);

// ---- Batch size ---------------------------------------------------------------------------------------

/**
 * Real gradient models are probed at batch sizes 2 and 3 and then run at any batch size: the gradient of a
 * model probed that way, run at batch 4, must equal the gradient of one probed at batch 4 itself (which the
 * finite-difference checks above vouch for). `w` (when given) is differentiated too: its gradient sums over
 * the batch.
 */
interface BatchExtras {
  /** Extra constant inputs after x (and w); null for an absent optional input. */
  inputs?: ({ dims: number[]; data: number[]; float?: boolean } | null)[];
  /** Nodes before the op (e.g. a shape computation), and names replacing `inputs` in the op's input list. */
  prelude?: { nodes: ReturnType<typeof makeNode>[]; inputs: string[] };
}

function batchTest(
  name: string,
  op: string,
  sample: number[],
  attrs: Record<string, AttrValue>,
  w?: number[],
  more: BatchExtras = {},
): void {
  const extra = more.inputs ?? [];
  test(`${op}: gradient model probed at batches 2 and 3 runs at batch 4 (${name})`, async () => {
    const rng = new Rng(11);
    const wrt = w ? ['x', 'w'] : ['x'];
    const model = makeModel({
      opsetImports: [{ domain: '', version: 17 }],
      graph: {
        nodes: [
          ...(more.prelude?.nodes ?? []),
          makeNode(op, ['x', ...(w ? ['w'] : []), ...(more.prelude?.inputs ?? extra.map((c, i) => (c ? `c${i}` : '')))], ['y'], attrs, 'n'),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', ...sample]), ...(w ? [makeValueInfo('w', 'float32', w)] : [])],
        outputs: [{ name: 'y', docString: '', metadataProps: [] }],
        initializers: extra.flatMap((c, i) =>
          !c ? [] : [makeTensor(`c${i}`, c.dims, c.float ? Float32Array.from(c.data) : BigInt64Array.from(c.data, (v) => BigInt(v)))],
        ),
      },
    });
    const normal = (dims: number[]) => Float32Array.from({ length: size(dims) }, () => rng.normal());
    const weights = w ? normal(w) : undefined;
    const feeds = (n: number, xData = normal([n, ...sample])) => ({
      x: new ort.Tensor('float32', xData, [n, ...sample]),
      ...(w ? { w: new ort.Tensor('float32', weights!, w) } : {}),
    });
    const at4 = feeds(4);
    const forward = await ort.InferenceSession.create(encodeModel(model));
    const yDims = (await forward.run(at4))['y'].dims;
    await forward.release();
    const cotangent = new ort.Tensor(
      'float32',
      Float32Array.from({ length: size([...yDims]) }, (_, i) => Math.sin(i)),
      yDims,
    );
    const gradients = async (probe: Record<string, ort.Tensor>[]) => {
      const vjp = buildVjpModel(await prepareForward(model, wrt, probe, `${op} batch test`), wrt, ['y']);
      const session = await ort.InferenceSession.create(encodeModel(vjp.model));
      const out = await session.run({ ...at4, [vjp.cotangents[0]]: cotangent });
      await session.release();
      return vjp.grads.map((g) => Array.from(out[g].data as Float32Array));
    };
    const reference = await gradients([at4]);
    const general = await gradients([feeds(2), feeds(3)]);
    reference.forEach((r, i) => {
      assert.equal(general[i].length, r.length);
      const scale = Math.max(...r.map(Math.abs));
      r.forEach((v, j) => assert.ok(Math.abs(v - general[i][j]) <= 1e-5 * scale, `${wrt[i]}[${j}]: ${general[i][j]} vs ${v}`));
    });
  });
}

batchTest('grouped, strided, weights differentiated', 'Conv', [4, 5, 5], { group: 2, strides: [2, 2], pads: [1, 0, 1, 1] }, [4, 2, 3, 3]);
batchTest(
  'grouped, strided, weights differentiated',
  'ConvTranspose',
  [4, 3, 3],
  { group: 2, strides: [2, 2], output_padding: [1, 0] },
  [4, 1, 3, 2],
);
batchTest('ceil_mode with pads', 'MaxPool', [2, 5, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 });
batchTest('count_include_pad with ceil_mode', 'AveragePool', [2, 5, 6], {
  kernel_shape: [3, 3],
  strides: [2, 2],
  pads: [1, 1, 1, 1],
  ceil_mode: 1,
  count_include_pad: 1,
});
batchTest('2-D', 'GlobalMaxPool', [3, 4, 5], {});
batchTest('2-D', 'GlobalAveragePool', [3, 4, 5], {});
batchTest('constant with cropping', 'Pad', [2, 4, 5], {}, undefined, { inputs: [{ dims: [8], data: [0, 0, 1, -1, 0, 0, -2, 2] }] });
batchTest('reflect', 'Pad', [2, 4, 5], { mode: 'reflect' }, undefined, { inputs: [{ dims: [8], data: [0, 0, 2, 1, 0, 0, 1, 3] }] });
batchTest('linear ×1.5', 'Resize', [2, 3, 4], { mode: 'linear' }, undefined, {
  inputs: [null, { dims: [4], data: [1, 1, 1.5, 1.5], float: true }],
});
batchTest('nearest with sizes computed from the input shape', 'Resize', [2, 3, 4], { mode: 'nearest' }, undefined, {
  inputs: [
    { dims: [1], data: [0] },
    { dims: [1], data: [2] },
    { dims: [2], data: [5, 7] },
  ],
  prelude: {
    nodes: [
      makeNode('Shape', ['x'], ['shape']),
      makeNode('Slice', ['shape', 'c0', 'c1'], ['nc']),
      makeNode('Concat', ['nc', 'c2'], ['sizes'], { axis: 0 }),
    ],
    inputs: ['', '', 'sizes'],
  },
});
batchTest('constant, pads computed from the input shape', 'Pad', [2, 4, 5], {}, undefined, {
  inputs: [
    { dims: [1], data: [3] },
    { dims: [1], data: [4] },
    { dims: [6], data: [0, 0, 1, 0, 0, 0] },
    { dims: [1], data: [0] },
  ],
  prelude: {
    nodes: [
      makeNode('Shape', ['x'], ['shape']),
      makeNode('Slice', ['shape', 'c0', 'c1'], ['w']),
      makeNode('Sub', ['w', 'c0'], ['extra']),
      makeNode('Concat', ['c2', 'extra', 'c3'], ['pads'], { axis: 0 }),
    ],
    inputs: ['pads'],
  },
});
