import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { describeModel } from '../../../src/engine/onnx/modelInfo';
import { type ModelProto, type TensorProto, encodeModel, tensorToFloat32 } from '../../../src/engine/onnx/onnxProto';
import { assertClose, expectEngineErrorAsync, ort, runOrt } from './testUtil';

function withTmp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-onnx-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const W = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 4); // [4,3]
const B = Float32Array.from([0.5, -1, 2]);

/** Y = X·W + B with W and B stored in external files (W at offset 0, B at offset 4096 without a length). */
function externalModel(locW = 'weights.bin', locB = 'weights.bin', lengthW: string | null = String(W.byteLength)): ModelProto {
  const ext = (t: TensorProto, entries: [string, string][]): TensorProto => ({
    ...t,
    rawData: undefined,
    dataLocation: 1,
    externalData: entries.map(([key, value]) => ({ key, value })),
  });
  return makeModel({
    graph: {
      nodes: [makeNode('MatMul', ['X', 'W'], ['XW']), makeNode('Add', ['XW', 'B'], ['Y'])],
      inputs: [makeValueInfo('X', 'float32', ['N', 4])],
      outputs: [makeValueInfo('Y', 'float32', ['N', 3])],
      initializers: [
        ext(makeTensor('W', [4, 3], W), [
          ['location', locW],
          ['offset', '0'],
          ...(lengthW === null ? [] : [['length', lengthW] as [string, string]]),
        ]),
        ext(makeTensor('B', [3], B), [
          ['location', locB],
          ['offset', '4096'],
        ]),
      ],
    },
  });
}

function writeWeights(file: string, bytes = 4096 + B.byteLength): void {
  const buf = new Uint8Array(bytes);
  buf.set(new Uint8Array(W.buffer), 0);
  if (bytes >= 4096 + B.byteLength) buf.set(new Uint8Array(B.buffer), 4096);
  writeFileSync(file, buf);
}

test(
  'loadModel reads, hashes and decodes a model',
  withTmp(async (dir) => {
    const bytes = encodeModel(
      makeModel({
        graph: {
          nodes: [makeNode('Relu', ['x'], ['y'])],
          inputs: [makeValueInfo('x', 'float32', [1, 3, 8, 8])],
          outputs: [makeValueInfo('y', 'float32', [1, 3, 8, 8])],
        },
      }),
    );
    const file = join(dir, 'relu.onnx');
    writeFileSync(file, bytes);
    const m = await loadModel(file);
    assert.equal(m.path, file);
    assert.equal(m.sizeBytes, bytes.length);
    assert.equal(m.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(m.proto.graph.node[0].opType, 'Relu');
    assert.deepEqual(m.externalDataFiles, []);
  }),
);

test(
  'loadModel: missing, directory, unreadable and non-model files → specific EngineErrors naming the path',
  withTmp(async (dir) => {
    await expectEngineErrorAsync(loadModel(join(dir, 'nope.onnx')), 'FILE_NOT_FOUND', /nope\.onnx: model file not found/);
    await expectEngineErrorAsync(loadModel(join(dir, 'nodir', 'm.onnx')), 'FILE_NOT_FOUND', /nodir\/m\.onnx: model file not found/);
    mkdirSync(join(dir, 'folder.onnx'));
    await expectEngineErrorAsync(
      loadModel(join(dir, 'folder.onnx')),
      'FILE_UNREADABLE',
      /folder\.onnx: cannot read model file: is a directory/,
    );
    writeFileSync(join(dir, 'empty.onnx'), '');
    await expectEngineErrorAsync(loadModel(join(dir, 'empty.onnx')), 'MODEL_INVALID', /empty\.onnx: not an ONNX model: the file is empty/);
    writeFileSync(join(dir, 'text.onnx'), 'hello, this is not a model');
    await expectEngineErrorAsync(loadModel(join(dir, 'text.onnx')), 'MODEL_INVALID', /text\.onnx: not an ONNX model/);
    if (process.getuid?.() !== 0) {
      writeFileSync(join(dir, 'secret.onnx'), 'x');
      chmodSync(join(dir, 'secret.onnx'), 0o000);
      await expectEngineErrorAsync(
        loadModel(join(dir, 'secret.onnx')),
        'FILE_UNREADABLE',
        /secret\.onnx: cannot read model file: permission denied/,
      );
    }
  }),
);

test(
  'external data: resolved next to the model, read lazily, and the same files load in onnxruntime',
  withTmp(async (dir) => {
    const file = join(dir, 'ext.onnx');
    writeFileSync(file, encodeModel(externalModel()));
    writeWeights(join(dir, 'weights.bin'));
    const m = await loadModel(file);
    assert.deepEqual(m.externalDataFiles, [join(dir, 'weights.bin')]);
    const [tw, tb] = m.proto.graph.initializer;
    assert.equal(tw.rawData, undefined);
    assert.deepEqual(
      tw.externalSource && { file: tw.externalSource.file, offset: tw.externalSource.offset, length: tw.externalSource.length },
      { file: join(dir, 'weights.bin'), offset: 0, length: 48 },
    );
    assert.deepEqual(tensorToFloat32(tw), W);
    assert.deepEqual(tensorToFloat32(tb), B);
    const info = describeModel(m);
    assert.equal(info.parameterCount, 15);
    assert.equal(info.parameterBytes, 60);
    assert.deepEqual(info.externalDataFiles, [join(dir, 'weights.bin')]);

    const x = Float32Array.from([1, 0, -1, 2, 0.5, 0.5, 0.5, 0.5]);
    const out = await runOrt(file, { X: new ort.Tensor('float32', x, [2, 4]) });
    const expected: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let j = 0; j < 3; j++) {
        let s = B[j];
        for (let k = 0; k < 4; k++) s += x[n * 4 + k] * W[k * 3 + j];
        expected.push(s);
      }
    assertClose(out.Y.data as Float32Array, expected);
  }),
);

test(
  'external data in a subfolder and in two files',
  withTmp(async (dir) => {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'm.onnx'), encodeModel(externalModel('data/w.bin', 'b.bin', null)));
    writeWeights(join(dir, 'data', 'w.bin'));
    writeWeights(join(dir, 'b.bin'));
    const m = await loadModel(join(dir, 'm.onnx'));
    assert.deepEqual(m.externalDataFiles, [join(dir, 'b.bin'), join(dir, 'data', 'w.bin')]);
    assert.deepEqual(tensorToFloat32(m.proto.graph.initializer[0]), W);
    const out = await runOrt(join(dir, 'm.onnx'), { X: new ort.Tensor('float32', new Float32Array(4), [1, 4]) });
    assertClose(out.Y.data as Float32Array, B);
  }),
);

test(
  'external data errors name the tensor and the file',
  withTmp(async (dir) => {
    const file = join(dir, 'ext.onnx');
    writeFileSync(file, encodeModel(externalModel()));
    await expectEngineErrorAsync(
      loadModel(file),
      'FILE_NOT_FOUND',
      /ext\.onnx: tensor 'W' stores its data externally, but its data file 'weights\.bin' \(.*weights\.bin\) does not exist/,
    );
    writeWeights(join(dir, 'weights.bin'), 4096 + 8);
    await expectEngineErrorAsync(
      loadModel(file),
      'MODEL_INVALID',
      /tensor 'B' stores its data externally, but its data file 'weights\.bin' \(.*\) has 4104 bytes, fewer than offset 4096 \+ length 12/,
    );
    writeWeights(join(dir, 'weights.bin'));
    writeFileSync(file, encodeModel(externalModel('weights.bin', 'weights.bin', '44')));
    await expectEngineErrorAsync(
      loadModel(file),
      'MODEL_INVALID',
      /tensor 'W' .*external length 44 bytes does not match dims \[4,3\] \(48 bytes\)/,
    );
    writeFileSync(file, encodeModel(externalModel('../outside.bin')));
    await expectEngineErrorAsync(
      loadModel(file),
      'MODEL_INVALID',
      /tensor 'W' .*location '\.\.\/outside\.bin' is outside the model's folder/,
    );
    writeFileSync(file, encodeModel(externalModel('/etc/passwd')));
    await expectEngineErrorAsync(loadModel(file), 'MODEL_INVALID', /location '\/etc\/passwd' is outside the model's folder/);
    const noLoc = externalModel();
    noLoc.graph.initializer[0].externalData = [];
    writeFileSync(file, encodeModel(noLoc));
    await expectEngineErrorAsync(loadModel(file), 'MODEL_INVALID', /tensor 'W' .*no "location" entry/);
    mkdirSync(join(dir, 'wdir'));
    writeFileSync(file, encodeModel(externalModel('wdir')));
    await expectEngineErrorAsync(loadModel(file), 'FILE_UNREADABLE', /tensor 'W' .*data file 'wdir' .* cannot be read/);
  }),
);
