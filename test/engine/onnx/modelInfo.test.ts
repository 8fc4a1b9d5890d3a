import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import type { LoadedModel } from '../../../src/engine/onnx/loadModel';
import { type ImageInputCandidate, type ModelInfo, describeModel, detectImageInput } from '../../../src/engine/onnx/modelInfo';
import type { NodeProto, TensorProto, ValueInfoProto } from '../../../src/engine/onnx/onnxProto';

function loaded(spec: {
  inputs: ValueInfoProto[];
  nodes?: NodeProto[];
  outputs?: ValueInfoProto[];
  initializers?: TensorProto[];
  opsets?: { domain: string; version: number }[];
}): LoadedModel {
  const inputs = spec.inputs;
  const nodes = spec.nodes ?? [makeNode('Identity', [inputs[0]?.name ?? 'x'], ['y'])];
  const outputs = spec.outputs ?? [makeValueInfo('y', 'float32', ['N', 10])];
  const proto = makeModel({
    graph: { nodes, inputs, outputs, initializers: spec.initializers },
    opsetImports: spec.opsets,
    metadata: { source: 'test' },
  });
  return { path: '/m/model.onnx', sizeBytes: 123, sha256: 'ab'.repeat(32), proto, externalDataFiles: [] };
}

function image(shape: (number | string | null)[], elemType = 'float32'): ImageInputCandidate | undefined {
  return detectImageInput({ name: 'x', elemType, shape }).candidate;
}

test('layout detection: NCHW, NHWC, NHW, flat gray and RGB, with reasons', () => {
  const pick = (c?: ImageInputCandidate) =>
    c && { layout: c.layout, channels: c.channels, height: c.height, width: c.width, batch: c.batch };
  assert.deepEqual(pick(image(['N', 1, 28, 28])), { layout: 'NCHW', channels: 1, height: 28, width: 28, batch: 'dynamic' });
  assert.deepEqual(pick(image([1, 3, 224, 224])), { layout: 'NCHW', channels: 3, height: 224, width: 224, batch: 1 });
  assert.deepEqual(pick(image([7, 32, 32, 3])), { layout: 'NHWC', channels: 3, height: 32, width: 32, batch: 7 });
  assert.deepEqual(pick(image(['batch', 64, 48, 1])), { layout: 'NHWC', channels: 1, height: 64, width: 48, batch: 'dynamic' });
  assert.deepEqual(pick(image(['N', 28, 28])), { layout: 'NHW', channels: 1, height: 28, width: 28, batch: 'dynamic' });
  assert.deepEqual(pick(image(['N', 784])), { layout: 'flat', channels: 1, height: 28, width: 28, batch: 'dynamic' });
  assert.deepEqual(pick(image([1, 3072])), { layout: 'flat', channels: 3, height: 32, width: 32, batch: 1 });
  assert.match(image(['N', 1, 28, 28])!.reason, /dim 1 is 1 channel and the last dim \(28\) is not 1 or 3, so channels-first \(NCHW\)/);
  assert.match(image([7, 32, 32, 3])!.reason, /last dim is 3 channels .* channels-last \(NHWC\)/);
  assert.match(image(['N', 28, 28])!.reason, /single-channel/);
  assert.match(image(['N', 784])!.reason, /784 = 28×28, read as a flattened 28×28 grayscale image/);
  assert.match(image([1, 3072])!.reason, /3072 = 3×32×32, .* CHW order \(assumed/);
  assert.equal(image(['N', 1, 28, 28], 'float16')?.layout, 'NCHW');
  assert.equal(image(['N', 224, 224, 3], 'uint8')?.layout, 'NHWC');
});

test('layout detection: ambiguous shapes default to NCHW and say so; non-images are rejected with a note', () => {
  const amb = image(['N', 3, 3, 3])!;
  assert.equal(amb.layout, 'NCHW');
  assert.equal(amb.channels, 3);
  assert.match(amb.reason, /ambiguous: dim 1 and the last dim are both 1 or 3; assumed NCHW/);
  assert.equal(image(['N', 1, 1, 1])?.layout, 'NCHW');
  const cases: [(number | string | null)[], string, RegExp][] = [
    [['N', 64, 28, 28], 'float32', /rank 4 but neither dim 1 nor the last dim is 1 or 3/],
    [['N', 'C', 'H', 'W'], 'float32', /rank 4 but neither/],
    [['N', 1, 28, 28], 'int64', /is int64, not float32\/float16\/uint8/],
    [['N', 1, 28, 28], 'float64', /is float64/],
    [['N', 10], 'float32', /10 is neither a square nor 3× a square/],
    [['N', 4], 'float32', /neither a square/], // 2×2 is too small to be an image
    [['N', 'D'], 'float32', /unknown feature size/],
    [[784], 'float32', /rank 1/],
    [[1, 1, 3, 28, 28], 'float32', /rank 5/],
  ];
  for (const [shape, et, note] of cases) {
    const r = detectImageInput({ name: 'x', elemType: et, shape });
    assert.equal(r.candidate, undefined, `${JSON.stringify(shape)} ${et}`);
    assert.match(r.note!, note);
  }
  assert.match(detectImageInput({ name: 'x', elemType: 'float32', shape: null }).note!, /no shape information/);
});

test('symbolic spatial dims: still a candidate, size 0 and a warning', () => {
  const info = describeModel(loaded({ inputs: [makeValueInfo('img', 'float32', ['N', 3, 'H', 'W'])] }));
  assert.equal(info.imageInputs.length, 1);
  assert.deepEqual(
    { ...info.imageInputs[0], reason: '' },
    { name: 'img', layout: 'NCHW', channels: 3, height: 0, width: 0, batch: 'dynamic', elemType: 'float32', reason: '' },
  );
  assert.ok(
    info.warnings.some((w) =>
      /input 'img' \[N,3,H,W\] has symbolic or unknown height\/width: the image size must be given explicitly/.test(w),
    ),
    info.warnings.join('\n'),
  );
  const partial = describeModel(loaded({ inputs: [makeValueInfo('img', 'float32', ['N', 224, null, 3])] }));
  assert.deepEqual([partial.imageInputs[0].layout, partial.imageInputs[0].height, partial.imageInputs[0].width], ['NHWC', 224, 0]);
});

test('two image inputs are both reported, with a warning; an int input is not an image', () => {
  const info = describeModel(
    loaded({
      inputs: [
        makeValueInfo('left', 'float32', [1, 3, 64, 64]),
        makeValueInfo('ids', 'int64', [1, 16]),
        makeValueInfo('right', 'uint8', [1, 64, 64, 3]),
      ],
      nodes: [makeNode('Concat', ['left', 'right'], ['y'], { axis: 1 })],
    }),
  );
  assert.deepEqual(
    info.imageInputs.map((c) => [c.name, c.layout, c.batch]),
    [
      ['left', 'NCHW', 1],
      ['right', 'NHWC', 1],
    ],
  );
  assert.ok(info.warnings.some((w) => /2 inputs look like images \(left, right\)/.test(w)));
  assert.deepEqual(
    info.inputs.map((i) => i.name),
    ['left', 'ids', 'right'],
  );
});

test('no image input: the warning explains why each input was rejected', () => {
  const info = describeModel(loaded({ inputs: [makeValueInfo('tokens', 'int64', ['N', 128])] }));
  assert.deepEqual(info.imageInputs, []);
  assert.ok(
    info.warnings.some((w) => /no input looks like an image: input 'tokens' is int64/.test(w)),
    info.warnings.join('\n'),
  );
});

test('initializers listed as graph inputs are not inputs; parameters exclude BatchNorm statistics', () => {
  const bn = (n: string, c: number, v: number) => makeTensor(n, [c], new Float32Array(c).fill(v));
  const info = describeModel(
    loaded({
      inputs: [makeValueInfo('x', 'float32', ['N', 3, 8, 8]), makeValueInfo('w', 'float32', [4, 3, 3, 3])],
      initializers: [
        makeTensor('w', [4, 3, 3, 3], new Float32Array(108)),
        bn('s', 4, 1),
        bn('b', 4, 0),
        bn('mean', 4, 0),
        bn('var', 4, 1),
        makeTensor('shape', [2], BigInt64Array.of(-1n, 256n)),
      ],
      nodes: [
        makeNode('Conv', ['x', 'w'], ['c']),
        makeNode('BatchNormalization', ['c', 's', 'b', 'mean', 'var'], ['n']),
        makeNode('Reshape', ['n', 'shape'], ['y']),
      ],
      outputs: [makeValueInfo('y', 'float32', ['N', 256])],
    }),
  );
  assert.deepEqual(info.inputs, [{ name: 'x', elemType: 'float32', shape: ['N', 3, 8, 8] }]);
  assert.equal(info.parameterCount, 108 + 4 + 4 + 2, 'weights, scale, bias, shape; not mean/var');
  assert.equal(info.parameterBytes, (108 + 16) * 4 + 16);
  assert.equal(info.imageInputs.length, 1, 'w is an initializer, not a candidate');
});

test('output kind: Softmax / LogSoftmax through shape-only ops, otherwise unknown; numClasses', () => {
  const kind = (nodes: NodeProto[], out = makeValueInfo('y', 'float32', ['N', 10])) =>
    describeModel(loaded({ inputs: [makeValueInfo('x', 'float32', ['N', 1, 28, 28])], nodes, outputs: [out] })).output;
  const soft = kind([
    makeNode('Flatten', ['x'], ['f']),
    makeNode('Softmax', ['f'], ['s'], { axis: 1 }),
    makeNode('Reshape', ['s', 'shape'], ['r']),
    makeNode('Identity', ['r'], ['y']),
  ]);
  assert.deepEqual({ ...soft, reason: '' }, { name: 'y', numClasses: 10, kind: 'probabilities', reason: '' });
  assert.match(soft.reason, /produced by Softmax \(through Identity ← Reshape\)/);
  const logsoft = kind([makeNode('Flatten', ['x'], ['f']), makeNode('LogSoftmax', ['f'], ['y'])]);
  assert.equal(logsoft.kind, 'log-probabilities');
  const gemm = kind([
    makeNode('Flatten', ['x'], ['f']),
    makeNode('Gemm', ['f', 'w'], ['g']),
    makeNode('Squeeze', ['g'], ['u']),
    makeNode('Unsqueeze', ['u', 'ax'], ['y']),
  ]);
  assert.equal(gemm.kind, 'unknown');
  assert.match(
    gemm.reason,
    /produced by Gemm \(through Unsqueeze ← Squeeze\), not Softmax\/LogSoftmax; logits vs probabilities will be probed/,
  );
  // Softmax before a non-shape op (e.g. Log) is not 'probabilities'.
  assert.equal(kind([makeNode('Softmax', ['x'], ['s']), makeNode('Log', ['s'], ['y'])]).kind, 'unknown');
  const direct = kind([], makeValueInfo('x', 'float32', ['N', 1, 28, 28]));
  assert.equal(direct.kind, 'unknown');
  assert.match(direct.reason, /not computed by a node/);
  const sym = describeModel(
    loaded({ inputs: [makeValueInfo('x', 'float32', ['N', 784])], outputs: [makeValueInfo('y', 'float32', ['N', 'classes'])] }),
  );
  assert.equal(sym.output.numClasses, null);
  assert.ok(sym.warnings.some((w) => /output 'y' \[N,classes\] has no fixed last dimension/.test(w)));
});

test('op histogram (sorted, domains, subgraphs), custom domains, opsets, metadata', () => {
  const sub = makeGraph({
    inputs: [],
    outputs: [makeValueInfo('o', 'float32', [1])],
    nodes: [makeNode('Constant', [], ['o'], { value: makeTensor('c', [1], [1]) })],
  });
  const info: ModelInfo = describeModel(
    loaded({
      inputs: [makeValueInfo('x', 'float32', ['N', 3, 32, 32])],
      opsets: [
        { domain: '', version: 13 },
        { domain: 'com.example', version: 1 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
      nodes: [
        makeNode('Relu', ['x'], ['a']),
        makeNode('Relu', ['a'], ['b']),
        makeNode('Relu', ['b'], ['c']),
        makeNode('Add', ['c', 'c'], ['d']),
        makeNode('Add', ['d', 'd'], ['e']),
        makeNode('Fancy', ['e'], ['f'], {}, 'fancy', 'com.example'),
        makeNode('Normalizer', ['f'], ['g'], {}, '', 'ai.onnx.ml'),
        makeNode('If', ['cond'], ['y'], { then_branch: sub, else_branch: sub }),
      ],
    }),
  );
  assert.deepEqual(Object.entries(info.opHistogram), [
    ['Relu', 3],
    ['Add', 2],
    ['Constant', 2],
    ['ai.onnx.ml:Normalizer', 1],
    ['com.example:Fancy', 1],
    ['If', 1],
  ]);
  assert.equal(info.nodeCount, 10);
  assert.deepEqual(info.customDomainOps, ['com.example:Fancy']);
  assert.ok(info.warnings.some((w) => /outside the standard ONNX domains: com\.example:Fancy/.test(w)));
  assert.deepEqual(info.opsets, [
    { domain: '', version: 13 },
    { domain: 'com.example', version: 1 },
    { domain: 'ai.onnx.ml', version: 3 },
  ]);
  assert.deepEqual(info.metadata, { source: 'test' });
  assert.equal(info.producer, 'robustness-lens');
  assert.equal(info.irVersion, 8);
  assert.deepEqual([info.file, info.sizeBytes], ['/m/model.onnx', 123]);
});

test('a clean single-image classifier has no warnings', () => {
  const info = describeModel(loaded({ inputs: [makeValueInfo('x', 'float32', ['N', 1, 28, 28])] }));
  assert.deepEqual(info.warnings, []);
  const multi = describeModel(
    loaded({
      inputs: [makeValueInfo('x', 'float32', ['N', 1, 28, 28])],
      outputs: [makeValueInfo('y', 'float32', ['N', 10]), makeValueInfo('x', 'float32', null)],
    }),
  );
  assert.ok(multi.warnings.some((w) => /2 outputs; the first \('y'\) is taken as the class scores/.test(w)));
});
