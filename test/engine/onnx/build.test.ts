import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeAttribute, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { AttributeType, TensorDataType, decodeModel, encodeModel } from '../../../src/engine/onnx/onnxProto';
import { assertClose, ort, runOrt } from './testUtil';

test('Gemm + Add with known weights runs in onnxruntime and matches a hand computation', async () => {
  // Y = X · Wᵀ + b, then Z = Y + c.
  const W = Float32Array.from([1, 2, 3, 4, -1, 0, 1, 0, 0.5, 0.5, 0.5, 0.5]); // [3,4]
  const b = Float32Array.from([0.1, -0.2, 0.3]);
  const c = Float32Array.from([10, 20, 30]);
  const model = makeModel({
    graph: {
      nodes: [
        makeNode('Gemm', ['X', 'W', 'b'], ['Y'], { transB: 1, alpha: attr.float(1), beta: attr.float(1) }, 'gemm'),
        makeNode('Add', ['Y', 'c'], ['Z'], {}, 'add'),
      ],
      inputs: [makeValueInfo('X', 'float32', ['N', 4])],
      outputs: [makeValueInfo('Z', TensorDataType.FLOAT, ['N', 3])],
      initializers: [makeTensor('W', [3, 4], W), makeTensor('b', [3], b), makeTensor('c', [3], c)],
    },
  });
  const x = Float32Array.from([1, 1, 1, 1, 0, 1, 0, -1]);
  const out = await runOrt(encodeModel(model), { X: new ort.Tensor('float32', x, [2, 4]) });
  const expected: number[] = [];
  for (let n = 0; n < 2; n++) {
    for (let j = 0; j < 3; j++) {
      let s = b[j] + c[j];
      for (let k = 0; k < 4; k++) s += x[n * 4 + k] * W[j * 4 + k];
      expected.push(s);
    }
  }
  assert.deepEqual(out.Z.dims, [2, 3]);
  assertClose(out.Z.data as Float32Array, expected);
});

test('Conv (ints attributes) + LeakyRelu (float) + Flatten + Softmax run and match', async () => {
  const kernel = Float32Array.from([1, 0, 0, -1]); // 2×2: x[i,j] - x[i+1,j+1]
  const model = makeModel({
    graph: {
      nodes: [
        makeNode('Conv', ['X', 'K'], ['C'], { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 0, 0] }),
        makeNode('LeakyRelu', ['C'], ['L'], { alpha: 0.25 }),
        makeNode('Flatten', ['L'], ['F'], { axis: 1 }),
        makeNode('Softmax', ['F'], ['P'], { axis: -1 }),
      ],
      inputs: [makeValueInfo('X', 'float32', [1, 1, 3, 3])],
      outputs: [makeValueInfo('P', 'float32', [1, 4])],
      initializers: [makeTensor('K', [1, 1, 2, 2], kernel)],
    },
  });
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 0]);
  const conv = [x[0] - x[4], x[1] - x[5], x[3] - x[7], x[4] - x[8]];
  const leaky = conv.map((v) => (v > 0 ? v : 0.25 * v));
  const e = leaky.map(Math.exp),
    sum = e.reduce((a, b) => a + b, 0);
  const out = await runOrt(encodeModel(model), { X: new ort.Tensor('float32', x, [1, 1, 3, 3]) });
  assertClose(
    out.P.data as Float32Array,
    e.map((v) => v / sum),
  );
});

test('tensor attributes, int64 initializers, float16 data, Cast and an If with graph attributes run', async () => {
  const thenG = makeGraph({
    name: 'then',
    inputs: [],
    outputs: [makeValueInfo('t_out', 'float32', [2])],
    nodes: [makeNode('Constant', [], ['t_out'], { value: makeTensor('tv', [2], [100, 200]) })],
  });
  const elseG = makeGraph({
    name: 'else',
    inputs: [],
    outputs: [makeValueInfo('e_out', 'float32', [2])],
    nodes: [makeNode('Constant', [], ['e_out'], { value_floats: attr.floats([-1, -2]) })],
  });
  const half = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x0000, 0x4200, 0x3c00]); // 1, -2, 0.5, 0, 3, 1
  const model = makeModel({
    graph: {
      nodes: [
        makeNode('Constant', [], ['scale'], { value: makeTensor('s', [], Float32Array.of(2)) }),
        makeNode('Cast', ['H'], ['Hf'], { to: TensorDataType.FLOAT }),
        makeNode('Mul', ['X', 'Hf'], ['M']),
        makeNode('Mul', ['M', 'scale'], ['M2']),
        makeNode('Reshape', ['M2', 'shape'], ['R']),
        makeNode('If', ['cond'], ['branch'], { then_branch: thenG, else_branch: elseG }),
      ],
      inputs: [makeValueInfo('X', 'float32', [6]), makeValueInfo('cond', 'bool', [])],
      outputs: [makeValueInfo('R', 'float32', [2, 3]), makeValueInfo('branch', 'float32', [2])],
      initializers: [makeTensor('H', [6], half, TensorDataType.FLOAT16), makeTensor('shape', [2], BigInt64Array.of(2n, 3n))],
    },
  });
  const bytes = encodeModel(model);
  const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
  for (const cond of [true, false]) {
    const out = await runOrt(bytes, { X: new ort.Tensor('float32', x, [6]), cond: new ort.Tensor('bool', [cond], []) });
    assert.deepEqual(out.R.dims, [2, 3]);
    assertClose(out.R.data as Float32Array, [2, -8, 3, 0, 30, 12]);
    assertClose(out.branch.data as Float32Array, cond ? [100, 200] : [-1, -2]);
  }
  // And the subgraphs survive a decode → encode round trip.
  const again = decodeModel(bytes, 'mem.onnx');
  const ifNode = again.graph.node[5];
  assert.equal(ifNode.attribute[0].g?.node[0].attribute[0].t?.name, 'tv');
  assert.deepEqual(encodeModel(again), bytes);
});

test('makeAttribute infers types from plain values and honours typed wrappers', () => {
  const t = makeTensor('t', [1], [1]);
  const g = makeGraph({ nodes: [], inputs: [], outputs: [] });
  const cases: [unknown, AttributeType, string][] = [
    [3, AttributeType.INT, 'i'],
    [2n ** 62n, AttributeType.INT, 'i'],
    [0.5, AttributeType.FLOAT, 'f'],
    [attr.float(1), AttributeType.FLOAT, 'f'],
    ['NOTSET', AttributeType.STRING, 's'],
    [Uint8Array.of(1, 2), AttributeType.STRING, 's'],
    [[1, 2], AttributeType.INTS, 'ints'],
    [[1, 2.5], AttributeType.FLOATS, 'floats'],
    [attr.floats([1, 2]), AttributeType.FLOATS, 'floats'],
    [attr.ints([]), AttributeType.INTS, 'ints'],
    [['a', 'b'], AttributeType.STRINGS, 'strings'],
    [t, AttributeType.TENSOR, 't'],
    [[t, t], AttributeType.TENSORS, 'tensors'],
    [g, AttributeType.GRAPH, 'g'],
    [[g], AttributeType.GRAPHS, 'graphs'],
  ];
  for (const [value, type, field] of cases) {
    const a = makeAttribute('x', value as never);
    assert.equal(a.type, type, `type of ${String(value)}`);
    assert.ok((a as unknown as Record<string, unknown>)[field] !== undefined, `${field} set for ${String(value)}`);
  }
  assert.equal(new TextDecoder().decode(makeAttribute('m', 'NOTSET').s), 'NOTSET');
  assert.throws(() => makeAttribute('e', []), /attribute e: empty list/);
  assert.throws(() => makeAttribute('m', [1, 'a'] as never), /mixed list/);
  assert.throws(() => makeTensor('w', [2, 2], Float32Array.of(1, 2, 3)), /3 values for dims \[2,2\]/);
  assert.throws(() => makeTensor('w', [2], Float32Array.of(1, 2), TensorDataType.FLOAT16), /cannot hold float16/);
});

test('makeTensor copies its input and stores little-endian raw_data', () => {
  const data = Float32Array.of(1.5, -2);
  const t = makeTensor('w', [2], data);
  data[0] = 99;
  assert.deepEqual([...new Float32Array(t.rawData!.slice().buffer)], [1.5, -2]);
  assert.deepEqual([...t.rawData!.subarray(0, 4)], [0x00, 0x00, 0xc0, 0x3f]);
  assert.equal(makeTensor('i', [1], BigInt64Array.of(-1n)).dataType, TensorDataType.INT64);
  assert.equal(makeTensor('u', [1], Uint8Array.of(1), TensorDataType.BOOL).dataType, TensorDataType.BOOL);
});
