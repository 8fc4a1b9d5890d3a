/** Generated inputs for the memory checks: many small PNGs in class folders, and a classifier with huge weights. */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../../src/engine/attacks/gallery';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel, TensorDataType, type TensorProto } from '../../../src/engine/onnx/onnxProto';
import { Rng } from '../../../src/engine/util/random';

/** `count` PNGs of size×size (1 or 3 channels) with seeded noise, spread over `classes` folders named c0, c1, … */
export function writeImageFolder(
  dir: string,
  count: number,
  opts: { size: number; channels: 1 | 3; classes: number; seed?: number },
): void {
  const rng = new Rng(opts.seed ?? 1);
  const { size, channels, classes } = opts;
  const pixels = new Float32Array(channels * size * size);
  for (let c = 0; c < classes; c++) mkdirSync(join(dir, `c${c}`), { recursive: true });
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < pixels.length; k++) pixels[k] = rng.next();
    writeFileSync(join(dir, `c${i % classes}`, `${String(i).padStart(5, '0')}.png`), encodePng(pixels, channels, size, size));
  }
}

/**
 * A 28×28 grey-scale classifier Flatten → Gemm(784 × hidden) → Relu → Gemm(hidden × 10) whose first weight
 * matrix takes `megabytes` MB, stored as ONNX external data (weights.bin beside model.onnx) so that the
 * protobuf stays far below its 2 GB limit. The weights are written in chunks: the generator never holds them.
 */
export function writeBigGemmModel(dir: string, megabytes: number): { path: string; weightBytes: number } {
  mkdirSync(dir, { recursive: true });
  const inFeatures = 784,
    classes = 10;
  const hidden = Math.ceil((megabytes * 1e6) / (4 * inFeatures));
  const weightBytes = 4 * inFeatures * hidden;
  const fd = openSync(join(dir, 'weights.bin'), 'w');
  try {
    // One seeded block of 1024 rows, repeated: generating 500 MB of fresh random numbers would take minutes.
    const rng = new Rng(7);
    const chunk = Float32Array.from({ length: inFeatures * 1024 }, () => (rng.next() - 0.5) * 0.01);
    for (let row = 0; row < hidden; row += 1024) {
      const n = Math.min(1024, hidden - row) * inFeatures;
      writeSync(fd, new Uint8Array(chunk.buffer, 0, 4 * n));
    }
  } finally {
    closeSync(fd);
  }
  // Gemm with transB: the stored matrix is hidden × 784, row by row as written above.
  const w1: TensorProto = {
    name: 'w1',
    dims: [hidden, inFeatures],
    dataType: TensorDataType.FLOAT,
    rawData: new Uint8Array(0),
    docString: '',
    metadataProps: [],
    dataLocation: 1,
    externalData: [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(weightBytes) },
    ],
  };
  const rng = new Rng(8);
  const w2 = makeTensor(
    'w2',
    [classes, hidden],
    Float32Array.from({ length: classes * hidden }, () => (rng.next() - 0.5) * 0.01),
  );
  const model = makeModel({
    graph: {
      nodes: [
        makeNode('Flatten', ['pixels'], ['flat'], { axis: 1 }),
        makeNode('Gemm', ['flat', 'w1'], ['h'], { transB: 1 }),
        makeNode('Relu', ['h'], ['hr']),
        makeNode('Gemm', ['hr', 'w2'], ['logits'], { transB: 1 }),
      ],
      inputs: [makeValueInfo('pixels', 'float', ['N', 1, 28, 28])],
      outputs: [makeValueInfo('logits', 'float', ['N', classes])],
      initializers: [w1, w2],
    },
  });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, encodeModel(model));
  return { path, weightBytes };
}
