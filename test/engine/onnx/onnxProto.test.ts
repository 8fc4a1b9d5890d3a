import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import {
  type ModelProto,
  type TensorProto,
  TensorDataType,
  dataTypeFromName,
  dataTypeName,
  decodeModel,
  encodeModel,
  tensorToFloat32,
  tensorToInt64Array,
} from '../../../src/engine/onnx/onnxProto';
import { ProtoWriter, Wire } from '../../../src/engine/onnx/protobuf';
import { expectEngineError, lcgBytes } from './testUtil';

const FILE = '/models/x.onnx';

function tensor(partial: Partial<TensorProto> & Pick<TensorProto, 'name' | 'dims' | 'dataType'>): TensorProto {
  return { docString: '', externalData: [], dataLocation: 0, metadataProps: [], ...partial };
}

/** A model that uses every modelled field, plus fields this decoder only preserves. */
function richModel(): ModelProto {
  const sub = makeGraph({
    name: 'body',
    inputs: [],
    outputs: [makeValueInfo('o', 'float32', [1])],
    nodes: [makeNode('Constant', [], ['o'], { value: makeTensor('c', [1], [3]) })],
  });
  const node = makeNode(
    'Custom',
    ['X', '', 'W'],
    ['Y', 'Y2'],
    {
      f: 0.5,
      one: attr.float(1),
      i: 7,
      big: 2n ** 63n - 1n,
      neg: -1,
      s: 'text',
      floats: [0.25, -1.5],
      ints: [-1, 0, 2 ** 40],
      strings: ['a', 'bé'],
      t: makeTensor('at', [2], Int32Array.of(-5, 6)),
      tensors: [makeTensor('t1', [1], [1]), makeTensor('t2', [], Float64Array.of(2))],
      g: sub,
      graphs: [sub, sub],
      zero: attr.int(0),
    },
    'custom0',
    'com.example',
  );
  node.docString = 'doc';
  node.overload = 'ov';
  node.metadataProps = [{ key: 'k', value: 'v' }];
  // A field this decoder does not model (NodeProto.device_configurations = 10) must survive.
  node.unknownFields = [new ProtoWriter().messageField(10, (w) => w.stringField(1, 'dev0')).finish()];
  const initializers: TensorProto[] = [
    makeTensor('W', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)),
    tensor({ name: 'fd', dims: [3], dataType: 1, floatData: Float32Array.of(1, -2, 3.5) }),
    tensor({ name: 'i32', dims: [2], dataType: 6, int32Data: Int32Array.of(-7, 8) }),
    tensor({ name: 'i64', dims: [3], dataType: 7, int64Data: BigInt64Array.of(-1n, 2n ** 62n, 0n) }),
    tensor({ name: 'dd', dims: [2], dataType: 11, doubleData: Float64Array.of(Math.PI, -0.5) }),
    tensor({ name: 'u64', dims: [1], dataType: 13, uint64Data: BigUint64Array.of(2n ** 64n - 1n) }),
    tensor({ name: 'str', dims: [2], dataType: 8, stringData: [new TextEncoder().encode('x'), new Uint8Array(0)] }),
    tensor({
      name: 'ext',
      dims: [4],
      dataType: 1,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '0' },
      ],
    }),
    tensor({
      name: 'seg',
      dims: [1],
      dataType: 1,
      segment: { begin: 0, end: 1 },
      rawData: new Uint8Array(4),
      docString: 'd',
      metadataProps: [{ key: 'a', value: 'b' }],
    }),
  ];
  const seqType = makeValueInfo('seq', 'float32', null);
  // sequence<tensor<float>>: kept opaque (raw bytes) by the decoder.
  seqType.type = {
    denotation: '',
    otherKind: 'sequence',
    unknownFields: [
      new ProtoWriter().messageField(4, (w) => w.messageField(1, (w2) => w2.messageField(1, (w3) => w3.varintField(1, 1)))).finish(),
    ],
  };
  const graph = makeGraph({
    name: 'main',
    nodes: [node, makeNode('Relu', ['Y'], ['Z'])],
    inputs: [
      makeValueInfo('X', 'float16', ['N', 3, null, 0]),
      makeValueInfo('U', 'uint8', null),
      makeValueInfo('S', 'float32', []),
      seqType,
    ],
    outputs: [makeValueInfo('Z', 'float32', ['N', 2])],
    initializers,
    valueInfo: [makeValueInfo('Y', 'float32', ['N', 2])],
  });
  graph.docString = 'graph doc';
  graph.metadataProps = [{ key: 'gk', value: 'gv' }];
  const m = makeModel({
    graph,
    opsetImports: [
      { domain: '', version: 13 },
      { domain: 'com.example', version: 1 },
    ],
    irVersion: 9,
    producerName: 'p',
    producerVersion: '1.0',
    metadata: { author: 'me' },
  });
  m.domain = 'org.test';
  m.modelVersion = 2n ** 60n;
  m.docString = 'model doc';
  // ModelProto.functions (25) and training_info (20): preserved, not decoded.
  m.unknownFields = [
    new ProtoWriter().messageField(20, (w) => w.messageField(1, (g) => g.stringField(2, 'init'))).finish(),
    new ProtoWriter()
      .messageField(25, (w) => {
        w.stringField(1, 'MyFn');
        w.stringField(10, 'com.example');
      })
      .finish(),
  ];
  return m;
}

test('encode → decode round-trips every modelled field and preserves unknown ones', () => {
  const m = richModel();
  const bytes = encodeModel(m);
  const d = decodeModel(bytes, FILE);
  // Safe int64 values come back as numbers; the model was built with numbers where safe.
  const norm = (x: unknown) =>
    JSON.parse(
      JSON.stringify(x, (_k, v) =>
        typeof v === 'bigint'
          ? `${v}n`
          : v instanceof Uint8Array || ArrayBuffer.isView(v)
            ? Array.from(v as Uint8Array, (e) => (typeof e === 'bigint' ? `${String(e)}n` : e))
            : v,
      ),
    );
  assert.deepEqual(norm(d), norm(m));
  assert.equal(d.modelVersion, 2n ** 60n);
  assert.equal(d.graph.node[0].attribute.find((a) => a.name === 'big')?.i, 2n ** 63n - 1n);
  assert.deepEqual(d.graph.node[0].attribute.find((a) => a.name === 'ints')?.ints, [-1, 0, 2 ** 40]);
  assert.deepEqual(d.graph.node[0].input, ['X', '', 'W'], 'empty optional input names are kept');
  assert.equal(d.graph.input[3].type?.otherKind, 'sequence');
  assert.equal(d.graph.input[1].type?.tensorType?.shape, undefined, 'unknown rank stays unknown');
  assert.deepEqual(d.graph.input[2].type?.tensorType?.shape, [], 'scalar shape stays scalar');
  assert.deepEqual(d.graph.input[0].type?.tensorType?.shape, [{ dimParam: 'N' }, { dimValue: 3 }, {}, { dimValue: 0 }]);
  assert.equal(d.unknownFields?.length, 2);
  assert.deepEqual(encodeModel(d), bytes, 'decode → encode is byte-identical');
});

test('raw_data is a zero-copy view into the file bytes', () => {
  const bytes = encodeModel(richModel());
  const d = decodeModel(bytes, FILE);
  const w = d.graph.initializer[0];
  assert.equal(w.rawData!.buffer, bytes.buffer);
  assert.deepEqual([...tensorToFloat32(w)], [1, 2, 3, 4, 5, 6]);
});

test('decodeModel: empty, other formats and random bytes → MODEL_INVALID naming the file', () => {
  expectEngineError(
    () => decodeModel(new Uint8Array(0), FILE),
    'MODEL_INVALID',
    /^\/models\/x\.onnx: not an ONNX model: the file is empty \(0 bytes\)$/,
  );
  expectEngineError(() => decodeModel(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10), FILE), 'MODEL_INVALID', /looks like a PNG image/);
  expectEngineError(() => decodeModel(new TextEncoder().encode('PK\x03\x04rest'), FILE), 'MODEL_INVALID', /ZIP archive \(e\.g\. a PyTorch/);
  expectEngineError(() => decodeModel(new TextEncoder().encode('{"model": 1}'), FILE), 'MODEL_INVALID', /JSON/);
  expectEngineError(
    () => decodeModel(new TextEncoder().encode('hello, this is not a model'), FILE),
    'MODEL_INVALID',
    /x\.onnx: not an ONNX model: /,
  );
  for (let seed = 1; seed <= 300; seed++) {
    const bytes = lcgBytes(1 + ((seed * 37) % 3000), seed);
    expectEngineError(() => decodeModel(bytes, FILE), 'MODEL_INVALID', /^\/models\/x\.onnx: not an ONNX model: /);
  }
});

test('decodeModel: valid protobuf that is not a ModelProto says what was found vs expected', () => {
  // A TensorProto: its packed dims (LEN) land on ir_version (varint).
  const tensorBytes = new ProtoWriter().packedVarints(1, [2, 3]).varintField(2, 1).stringField(8, 'w').finish();
  expectEngineError(
    () => decodeModel(tensorBytes, FILE),
    'MODEL_INVALID',
    /not an ONNX model: the protobuf is truncated or corrupt .*field 1 \(ir_version\) has wire type length-delimited, expected varint at byte 0 in ModelProto/,
  );
  // ir_version + opset but no graph.
  const noGraph = new ProtoWriter()
    .varintField(1, 8)
    .messageField(8, (w) => w.varintField(2, 13))
    .finish();
  expectEngineError(
    () => decodeModel(noGraph, FILE),
    'MODEL_INVALID',
    /there is no graph \(field 7\); expected an ONNX ModelProto .*found top-level fields: 1 ir_version, 8 opset_import$/,
  );
  // Only foreign fields.
  const foreign = new ProtoWriter().stringField(100, 'a').stringField(100, 'b').varintField(3000, 1).finish();
  expectEngineError(
    () => decodeModel(foreign, FILE),
    'MODEL_INVALID',
    /ir_version \(field 1\) is missing or 0; there is no graph \(field 7\); there is no opset_import \(field 8\).*found top-level fields: 100 \(not a ModelProto field\) ×2, 3000 \(not a ModelProto field\)/,
  );
  // A graph but no opset_import (e.g. cut right after the graph).
  const m = richModel();
  const noOpset = encodeModel({ ...m, opsetImport: [] });
  expectEngineError(() => decodeModel(noOpset, FILE), 'MODEL_INVALID', /there is no opset_import \(field 8\)/);
});

test('decodeModel: truncation at every offset of a synthetic model → MODEL_INVALID, never a JS error', () => {
  // opset_import must be the last top-level field (as in exporter output): a cut between later optional
  // fields (metadata, functions) leaves a valid, smaller model that no decoder could tell apart.
  const bytes = encodeModel({ ...richModel(), opsetImport: [{ domain: '', version: 13 }], metadataProps: [], unknownFields: undefined });
  let withOffset = 0;
  for (let cut = 0; cut < bytes.length; cut++) {
    const e = expectEngineError(
      () => decodeModel(bytes.subarray(0, cut), FILE),
      'MODEL_INVALID',
      /^\/models\/x\.onnx: not an ONNX model: /,
    );
    // Either the cut splits a field (offset + path), or it falls between top-level fields (a required one is missing).
    assert.match(e.message, /at byte \d+ in ModelProto|the file is empty|there is no (graph|opset_import)/, `cut ${cut}: ${e.message}`);
    if (/at byte \d+ in ModelProto/.test(e.message)) withOffset++;
  }
  assert.ok(withOffset > bytes.length - 10, `${withOffset} of ${bytes.length} cuts name the byte offset`);
  // A cut inside a nested message names the innermost message where the data stops, and the outer claim.
  const at = Buffer.from(bytes).indexOf('custom0');
  assert.match(
    decodeErr(bytes.subarray(0, at + 3)),
    /needs 7 bytes but only 3 remain at byte \d+ in ModelProto\.graph\.node\[0\] \(enclosing: length-delimited field 7 \(graph\) needs \d+ bytes but only \d+ remain at byte \d+ in ModelProto\)$/,
  );
  const rawAt = Buffer.from(bytes).indexOf(Uint8Array.of(0, 0, 0x80, 0x3f, 0, 0, 0, 0x40)); // W's raw_data
  assert.match(
    decodeErr(bytes.subarray(0, rawAt + 5)),
    /field 9 \(raw_data\) needs 24 bytes but only 5 remain at byte \d+ in ModelProto\.graph\.initializer\[0\] \(enclosing/,
  );
});

function decodeErr(b: Uint8Array): string {
  try {
    decodeModel(b, FILE);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

test('decodeModel: byte corruption never escapes as a RangeError/TypeError', () => {
  const bytes = encodeModel(richModel());
  const noise = lcgBytes(4000, 99);
  for (let k = 0; k < 2000; k++) {
    const b = bytes.slice();
    b[(noise[k] * 256 + noise[k + 1]) % b.length] = noise[k + 2];
    b[(noise[k + 3] * 256 + noise[k + 4]) % b.length] ^= 1 << (k % 8);
    try {
      decodeModel(b, FILE);
    } catch (e) {
      assert.ok((e as { code?: string }).code === 'MODEL_INVALID', `flip ${k}: ${String(e)}`);
    }
  }
});

test('deeply nested graphs are rejected cleanly instead of overflowing the stack', () => {
  // 2000 levels of GraphProto.node → NodeProto.attribute → AttributeProto.g → … built as raw bytes.
  let inner = new Uint8Array(0);
  for (let i = 0; i < 700; i++) {
    const attrBytes = new ProtoWriter().bytesField(6, inner).varintField(20, 5).finish();
    const nodeBytes = new ProtoWriter().bytesField(5, attrBytes).finish();
    inner = new ProtoWriter().bytesField(1, nodeBytes).finish();
  }
  const model = new ProtoWriter()
    .varintField(1, 8)
    .bytesField(7, inner)
    .messageField(8, (w) => w.varintField(2, 13))
    .finish();
  expectEngineError(() => decodeModel(model, FILE), 'MODEL_INVALID', /nested deeper than 100 levels/);
});

test('tensorToFloat32 / tensorToInt64Array read raw (LE, unaligned) and typed fields of many types', () => {
  const le = (...b: number[]) => Uint8Array.from(b);
  // Unaligned raw_data view (offset 1).
  const buf = new Uint8Array(9);
  buf.set(le(0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0), 1);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'f', dims: [2], dataType: 1, rawData: buf.subarray(1) }))], [1, -2]);
  assert.deepEqual(
    [...tensorToFloat32(tensor({ name: 'h', dims: [4], dataType: 10, rawData: le(0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c) }))],
    [1, -2, 2 ** -24, Infinity],
  );
  assert.deepEqual(
    [...tensorToFloat32(tensor({ name: 'h2', dims: [2], dataType: 10, int32Data: Int32Array.of(0x3800, 0xbc00) }))],
    [0.5, -1],
  );
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'bf', dims: [2], dataType: 16, rawData: le(0x80, 0x3f, 0x40, 0xc0) }))], [1, -3]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'd', dims: [1], dataType: 11, rawData: le(0, 0, 0, 0, 0, 0, 0xf8, 0x3f) }))], [1.5]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'u8', dims: [3], dataType: 2, rawData: le(0, 128, 255) }))], [0, 128, 255]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'i8', dims: [2], dataType: 3, rawData: le(0xff, 0x80) }))], [-1, -128]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'fd', dims: [2, 1], dataType: 1, floatData: Float32Array.of(3, 4) }))], [3, 4]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'dd', dims: [1], dataType: 11, doubleData: Float64Array.of(0.25) }))], [0.25]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'scalar', dims: [], dataType: 1, floatData: Float32Array.of(7) }))], [7]);
  assert.deepEqual([...tensorToFloat32(tensor({ name: 'empty', dims: [0, 3], dataType: 1 }))], []);

  assert.deepEqual(
    [
      ...tensorToInt64Array(
        tensor({
          name: 'i64',
          dims: [2],
          dataType: 7,
          rawData: le(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0, 0, 0, 0),
        }),
      ),
    ],
    [-1n, 5n],
  );
  assert.deepEqual(
    [...tensorToInt64Array(tensor({ name: 'i64t', dims: [2], dataType: 7, int64Data: BigInt64Array.of(9n, -9n) }))],
    [9n, -9n],
  );
  assert.deepEqual([...tensorToInt64Array(tensor({ name: 'i32', dims: [2], dataType: 6, int32Data: Int32Array.of(-3, 4) }))], [-3n, 4n]);
  assert.deepEqual([...tensorToInt64Array(tensor({ name: 'u8', dims: [1], dataType: 2, rawData: le(200) }))], [200n]);
  assert.deepEqual([...tensorToInt64Array(makeTensor('shape', [2], BigInt64Array.of(-1n, 784n)))], [-1n, 784n]);
});

test('tensor readers fail with named EngineErrors on bad or unsupported data', () => {
  expectEngineError(
    () => tensorToFloat32(tensor({ name: 'w', dims: [2, 3], dataType: 1, rawData: new Uint8Array(20) }), FILE),
    'MODEL_INVALID',
    /^\/models\/x\.onnx: tensor 'w' \[2,3\] float32: holds 20 data bytes but 6 elements × 4 bytes need 24$/,
  );
  expectEngineError(
    () => tensorToFloat32(tensor({ name: 'w', dims: [3], dataType: 1, floatData: Float32Array.of(1) })),
    'MODEL_INVALID',
    /float_data has 1 values but the dims need 3/,
  );
  expectEngineError(() => tensorToFloat32(tensor({ name: 'w', dims: [3], dataType: 1 })), 'MODEL_INVALID', /has no data/);
  expectEngineError(
    () => tensorToFloat32(tensor({ name: 's', dims: [1], dataType: 8, stringData: [new Uint8Array(1)] })),
    'MODEL_UNSUPPORTED',
    /cannot read string values as float32/,
  );
  expectEngineError(
    () => tensorToInt64Array(makeTensor('f', [1], [1])),
    'MODEL_UNSUPPORTED',
    /tensor 'f' \[1\] float32: cannot read float32 values as int64/,
  );
  expectEngineError(
    () =>
      tensorToFloat32(
        tensor({ name: 'e', dims: [1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }),
        FILE,
      ),
    'MODEL_UNSUPPORTED',
    /tensor 'e' .*external file 'w\.bin', which was not resolved; load the model with loadModel/,
  );
});

test('data type names map both ways', () => {
  assert.equal(dataTypeName(TensorDataType.FLOAT), 'float32');
  assert.equal(dataTypeName(7), 'int64');
  assert.equal(dataTypeName(10), 'float16');
  assert.equal(dataTypeName(16), 'bfloat16');
  assert.equal(dataTypeName(2), 'uint8');
  assert.equal(dataTypeName(99), 'unknown(99)');
  assert.equal(dataTypeFromName('float32'), 1);
  assert.equal(dataTypeFromName('float'), 1);
  assert.equal(dataTypeFromName('double'), 11);
  assert.equal(dataTypeFromName('bool'), 9);
  assert.equal(dataTypeFromName('nope'), undefined);
});

test('unpacked repeated fields (proto2 writers) decode like packed ones', () => {
  // NodeProto attribute with INTS written one varint per element, as onnx's proto2 serializer does.
  const attrBytes = new ProtoWriter().stringField(1, 'pads');
  for (const v of [1, -1, 2]) attrBytes.varintField(8, v);
  attrBytes.varintField(20, 7);
  const tensorBytes = new ProtoWriter();
  for (const d of [2, 1]) tensorBytes.varintField(1, d);
  tensorBytes.varintField(2, 1).floatField(4, 1.5).floatField(4, -1).stringField(8, 'w');
  const m = new ProtoWriter().varintField(1, 7);
  m.messageField(7, (g) => {
    g.messageField(1, (n) => {
      n.stringField(4, 'Pad');
      n.bytesField(5, attrBytes.finish());
    });
    g.bytesField(5, tensorBytes.finish());
  });
  m.messageField(8, (o) => o.varintField(2, 13));
  const d = decodeModel(m.finish(), FILE);
  assert.deepEqual(d.graph.node[0].attribute[0].ints, [1, -1, 2]);
  assert.deepEqual(d.graph.initializer[0].dims, [2, 1]);
  assert.deepEqual([...tensorToFloat32(d.graph.initializer[0])], [1.5, -1]);
  void Wire;
});
