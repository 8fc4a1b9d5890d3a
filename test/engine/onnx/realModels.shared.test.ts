// The real exported models in ../shared/models, checked against their manifest (models.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HAVE_SHARED, SHARED, sharedManifest, sharedPath } from '../../helpers/shared';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { describeModel } from '../../../src/engine/onnx/modelInfo';
import { decodeModel, encodeModel, tensorToFloat32 } from '../../../src/engine/onnx/onnxProto';
import { expectEngineError, ort, runOrt } from './testUtil';

const SKIP = `${SHARED} not found: the real-model tests are skipped`;

test('every shared model matches its manifest (size, sha256, opset, input, output, ops, parameters)', async (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  const manifest = sharedManifest() as (ReturnType<typeof sharedManifest>[number] & {
    size_bytes: number;
    sha256: string;
    layout: string;
    channels: number;
    output_name: string;
    output_shape: (number | string)[];
    op_types: string[];
  })[];
  assert.equal(manifest.length, 4);
  for (const entry of manifest) {
    await t.test(entry.name, async () => {
      const m = await loadModel(sharedPath('models', entry.file));
      const info = describeModel(m);
      assert.equal(info.sizeBytes, entry.size_bytes);
      assert.equal(info.sha256, entry.sha256);
      assert.deepEqual(info.opsets, [{ domain: '', version: entry.opset }]);
      assert.equal(entry.opset, 13);
      assert.deepEqual(info.inputs, [{ name: entry.input_name, elemType: 'float32', shape: entry.input_shape }]);
      assert.deepEqual(info.outputs, [{ name: entry.output_name, elemType: 'float32', shape: entry.output_shape }]);
      const cand = info.imageInputs;
      assert.equal(cand.length, 1);
      assert.deepEqual(
        [cand[0].name, cand[0].layout, cand[0].channels, cand[0].height, cand[0].width, cand[0].batch],
        [entry.input_name, entry.layout, entry.channels, entry.input_shape[2], entry.input_shape[3], 'dynamic'],
      );
      assert.deepEqual(
        { ...info.output, reason: '' },
        { name: entry.output_name, numClasses: entry.output_shape[1], kind: 'unknown', reason: '' },
      );
      if (entry.op_counts) assert.deepEqual(info.opHistogram, entry.op_counts);
      assert.deepEqual(Object.keys(info.opHistogram).sort(), [...entry.op_types].sort());
      assert.deepEqual(info.warnings, []);
      if (entry.name === 'resnet18-random-224') {
        // The exporter folded BatchNorm into the Conv biases (1 value per channel instead of BN's weight + bias,
        // 2 per channel) and merged identical biases (the 16 Identity nodes), so PyTorch's count of 11,689,512
        // is not recoverable from the file: it holds 11,689,512 − 9,600 (BN weight+bias over 4,800 channels)
        // + 960 (the four distinct folded bias tensors, 64+128+256+512) = 11,680,872 values.
        assert.equal(info.parameterCount, entry.num_parameters - 9600 + 960);
      } else {
        assert.equal(info.parameterCount, entry.num_parameters);
      }
    });
  }
});

test('truncating a real model at many offsets always gives MODEL_INVALID naming the file', (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  const file = sharedPath('models', 'mnist-cnn.onnx');
  const bytes = new Uint8Array(readFileSync(file));
  const cuts = new Set<number>();
  for (let i = 0; i < 400; i++) cuts.add(i);
  for (let i = 0; i < 1500; i++) cuts.add(Math.floor((i * bytes.length) / 1500));
  for (let i = 1; i <= 200; i++) cuts.add(bytes.length - i);
  let innerPaths = 0;
  for (const cut of cuts) {
    const e = expectEngineError(() => decodeModel(bytes.subarray(0, cut), file), 'MODEL_INVALID', /mnist-cnn\.onnx: not an ONNX model: /);
    if (/in ModelProto\.graph\.(node|initializer|input|output)\[\d+\]/.test(e.message)) innerPaths++;
  }
  // Most cuts land inside a node/initializer/value info, and the message says which one.
  assert.ok(innerPaths > cuts.size * 0.9, `${innerPaths}/${cuts.size} messages name the inner message`);
  const msg = (cut: number) => {
    try {
      decodeModel(bytes.subarray(0, cut), file);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  // The file ends with graph.output[0] (…dim[1] = 10) and then opset_import (4 bytes).
  assert.match(
    msg(bytes.length - 5),
    /truncated varint .* in ModelProto\.graph\.output\[0\]\.type\.tensor_type\.shape\.dim\[1\] \(enclosing: length-delimited field 7 \(graph\) needs \d+ bytes but only \d+ remain at byte 20 in ModelProto\)$/,
  );
  assert.match(msg(bytes.length - 1), /in ModelProto\.opset_import\[0\]/);
});

test('real models survive decode → encode and run identically in onnxruntime', async (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  for (const name of ['mnist-cnn', 'fashion-resnet']) {
    const file = sharedPath('models', `${name}.onnx`);
    const original = new Uint8Array(readFileSync(file));
    const reencoded = encodeModel(decodeModel(original, file));
    assert.deepEqual(encodeModel(decodeModel(reencoded, file)), reencoded, `${name}: encoding is stable`);
    const x = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => ((i * 7919) % 255) / 255);
    const feeds = { input: new ort.Tensor('float32', x, [2, 1, 28, 28]) };
    const [a, b] = [await runOrt(original, feeds), await runOrt(reencoded, feeds)];
    assert.deepEqual(b.logits.data, a.logits.data, `${name}: identical logits`);
  }
});

test('resnet18-random-224 (46 MB) decodes without copying raw_data', async (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  const file = sharedPath('models', 'resnet18-random-224.onnx');
  const bytes = new Uint8Array(readFileSync(file));
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const proto = decodeModel(bytes, file);
  const ms = performance.now() - t0;
  const grew = process.memoryUsage().arrayBuffers - before;
  t.diagnostic(`decode took ${ms.toFixed(0)} ms`); // speed lives in the benchmark, not in a timed test
  assert.ok(grew < 4 * 1024 * 1024, `decoding allocated ${grew} bytes of array buffers`);
  let rawBytes = 0;
  for (const init of proto.graph.initializer) {
    assert.equal(init.rawData?.buffer, bytes.buffer, `${init.name} is a view into the file`);
    rawBytes += init.rawData.length;
  }
  assert.ok(rawBytes > 46_000_000, `${rawBytes} bytes of weights`);
  const fc = proto.graph.initializer.find((i) => i.name === 'fc.weight')!;
  assert.deepEqual(fc.dims, [1000, 512]);
  assert.equal(tensorToFloat32(fc).length, 512_000);
  const loaded = await loadModel(file);
  assert.equal(describeModel(loaded).nodeCount, 65);
});
