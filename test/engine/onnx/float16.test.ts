/** Float16 models are rewritten at load to run in float32 (src/engine/onnx/float16.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { makeAttribute, makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { TensorDataType } from '../../../src/engine/onnx/tensorData';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { describeModel, elementTypeDiagnostics } from '../../../src/engine/onnx/modelInfo';

// Float16 bit patterns: 0x3c00 = 1, 0x4000 = 2, 0x3800 = 0.5, 0xc400 = −4.
const half = (...bits: number[]) => Uint16Array.from(bits);

/** y = Cast16(x · w + c) with x, w, c and y float16: every kind of float16 tensor the rewrite touches. */
function float16Model(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 17 }],
      graph: {
        nodes: [
          makeNode('Constant', [], ['c'], { value: makeTensor('c', [1, 2], half(0x3800, 0xc400), TensorDataType.FLOAT16) }),
          makeNode('MatMul', ['x', 'w'], ['xw']),
          makeNode('Add', ['xw', 'c'], ['s']),
          makeNode('Cast', ['s'], ['y'], { to: TensorDataType.FLOAT16 }),
        ],
        inputs: [makeValueInfo('x', 'float16', ['N', 2])],
        outputs: [makeValueInfo('y', 'float16', ['N', 2])],
        initializers: [makeTensor('w', [2, 2], half(0x3c00, 0x4000, 0x4000, 0x3c00), TensorDataType.FLOAT16)],
      },
    }),
  );
}

test('a float16 model is rewritten to float32 at load, computes the same function, and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-f16-'));
  try {
    const file = join(dir, 'half.onnx');
    writeFileSync(file, float16Model());
    const model = await loadModel(file);
    assert.ok(model.rewritten, 'the model is marked as rewritten');
    assert.match(model.rewritten.note, /float16 model run in float32/);
    const info = describeModel(model);
    assert.ok(info.warnings.some((w) => /float16 model run in float32/.test(w)));
    assert.deepEqual(elementTypeDiagnostics(info), [], 'no longer refused for its element types');
    assert.equal(model.proto.graph.initializer[0].dataType, TensorDataType.FLOAT);
    const cast = model.proto.graph.node.find((n) => n.opType === 'Cast')!;
    assert.deepEqual(cast.attribute, [makeAttribute('to', TensorDataType.FLOAT)]);
    const session = await ort.InferenceSession.create(model.rewritten.bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 3, -1, 0.25), [2, 2]) });
    // [1,3]·[[1,2],[2,1]] + [0.5,−4] = [7.5, 1]; [−1,0.25]·… + … = [0, −5.75].
    assert.deepEqual(Array.from(out.y.data as Float32Array), [7.5, 1, 0, -5.75]);
    await session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a float32 model is left as it is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-f32-'));
  try {
    const file = join(dir, 'full.onnx');
    writeFileSync(
      file,
      encodeModel(
        makeModel({
          opsetImports: [{ domain: '', version: 17 }],
          graph: {
            nodes: [makeNode('Relu', ['x'], ['y'])],
            inputs: [makeValueInfo('x', 'float32', ['N', 2])],
            outputs: [makeValueInfo('y', 'float32', ['N', 2])],
          },
        }),
      ),
    );
    assert.equal((await loadModel(file)).rewritten, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
