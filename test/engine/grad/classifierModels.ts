/** Small hand-built classifiers in several opsets, layouts and output kinds, written to a temp folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Rng } from '../../../src/engine/util/random';

const rng = new Rng(7);
const weights = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);

/** Opset 11, NCHW gray 8×8, attribute-form ReduceSum/Squeeze, final Softmax (probabilities). */
export function opset11Probabilities(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 11 }],
      graph: {
        nodes: [
          makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
          makeNode('Relu', ['c1'], ['r1']),
          makeNode('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }),
          makeNode('ReduceSum', ['p1'], ['s1'], { axes: [3], keepdims: 1 }),
          makeNode('Squeeze', ['s1'], ['q1'], { axes: [3] }),
          makeNode('Flatten', ['q1'], ['f1'], { axis: 1 }),
          makeNode('Gemm', ['f1', 'w2', 'b2'], ['z'], { transB: 1 }),
          makeNode('Softmax', ['z'], ['probs'], { axis: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 8, 8])],
        outputs: [makeValueInfo('probs', 'float32', ['N', 10])],
        initializers: [
          makeTensor('w1', [4, 1, 3, 3], weights(36, 0.5)),
          makeTensor('b1', [4], weights(4, 0.1)),
          makeTensor('w2', [10, 16], weights(160, 0.3)),
          makeTensor('b2', [10], weights(10, 0.1)),
        ],
      },
    }),
  );
}

/** Opset 13, NHWC RGB 6×6 (normalised by the caller's mean/std), input-form Unsqueeze/Squeeze, logits. */
export function opset13Nhwc(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [
          makeNode('Transpose', ['x'], ['t'], { perm: [0, 3, 1, 2] }),
          makeNode('Conv', ['t', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }),
          makeNode('Tanh', ['c1'], ['a1']),
          makeNode('GlobalAveragePool', ['a1'], ['g']),
          makeNode('Squeeze', ['g', 'axes23'], ['sq']),
          makeNode('Unsqueeze', ['sq', 'axes2'], ['us']),
          makeNode('Flatten', ['us'], ['f']),
          makeNode('Gemm', ['f', 'w2', 'b2'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 6, 6, 3])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 5])],
        initializers: [
          makeTensor('w1', [8, 3, 3, 3], weights(216, 0.4)),
          makeTensor('axes23', [2], BigInt64Array.from([2n, 3n])),
          makeTensor('axes2', [1], BigInt64Array.from([2n])),
          makeTensor('w2', [5, 8], weights(40, 0.8)),
          makeTensor('b2', [5], weights(5, 0.1)),
        ],
      },
    }),
  );
}

/** Opset 17, flattened gray 8×8 input, fixed batch 1, MLP with Tanh, logits. */
export function opset17FlatFixedBatch(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 17 }],
      graph: {
        nodes: [
          makeNode('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }),
          makeNode('Tanh', ['h'], ['a']),
          makeNode('Gemm', ['a', 'w2', 'b2'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', [1, 64])],
        outputs: [makeValueInfo('logits', 'float32', [1, 4])],
        initializers: [
          makeTensor('w1', [12, 64], weights(768, 0.3)),
          makeTensor('b1', [12], weights(12, 0.1)),
          makeTensor('w2', [4, 12], weights(48, 0.5)),
          makeTensor('b2', [4], weights(4, 0.1)),
        ],
      },
    }),
  );
}

/** A model with an op that has no gradient (TopK) and a custom-domain op on the path. */
export function unsupportedOps(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [
        { domain: '', version: 13 },
        { domain: 'com.example', version: 1 },
      ],
      graph: {
        nodes: [
          makeNode('Flatten', ['x'], ['f']),
          makeNode('TopK', ['f', 'k'], ['vals', 'idx'], { axis: 1 }, 'top'),
          makeNode('Swish', ['vals'], ['s'], {}, 'custom_swish', 'com.example'),
          makeNode('Gemm', ['s', 'w'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 3])],
        initializers: [makeTensor('k', [1], BigInt64Array.from([8n])), makeTensor('w', [3, 8], weights(24, 1))],
      },
    }),
  );
}

/** Runs in onnxruntime, but TopK on the path has no gradient module. */
export function topkPath(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [
          makeNode('Flatten', ['x'], ['f']),
          makeNode('TopK', ['f', 'k'], ['vals', 'idx'], { axis: 1 }, 'top'),
          makeNode('Gemm', ['vals', 'w'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 3])],
        initializers: [makeTensor('k', [1], BigInt64Array.from([8n])), makeTensor('w', [3, 8], weights(24, 1))],
      },
    }),
  );
}

/** A model whose only path to the logits goes through ArgMax (a gradient of zero almost everywhere). */
export function argmaxPath(): Uint8Array {
  return encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [
          makeNode('Flatten', ['x'], ['f']),
          makeNode('ArgMax', ['f'], ['am'], { axis: 1, keepdims: 1 }, 'pick_brightest'),
          makeNode('Cast', ['am'], ['amf'], { to: 1 }),
          makeNode('Gemm', ['amf', 'w'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 4, 4])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 3])],
        initializers: [makeTensor('w', [3, 1], weights(3, 1))],
      },
    }),
  );
}

export function writeModels(): { dir: string; path: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'rl-grad-models-'));
  const files: Record<string, Uint8Array> = {
    'opset11.onnx': opset11Probabilities(),
    'opset13.onnx': opset13Nhwc(),
    'opset17.onnx': opset17FlatFixedBatch(),
    'unsupported.onnx': unsupportedOps(),
    'argmax.onnx': argmaxPath(),
    'topk.onnx': topkPath(),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return { dir, path: (name) => join(dir, name) };
}
