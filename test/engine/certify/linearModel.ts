/** A two-class linear ONNX model z = W·x + b on 1×S×S pixels, whose smoothed probabilities have a closed form. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../../src/engine/attacks/gallery';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel } from '../../../src/engine/onnx/onnxProto';
import { Rng } from '../../../src/engine/util/random';

export const S = 4,
  PER = S * S;

export interface LinearTwoClass {
  bytes: Uint8Array;
  W: Float32Array;
  b: Float32Array;
}

export function linearTwoClass(seed = 3, centred = false): LinearTwoClass {
  const rng = new Rng(seed);
  const W = Float32Array.from({ length: 2 * PER }, () => rng.normal() * 0.5);
  // centred: w₀ − w₁ sums to 0, so the decision boundary passes close to the grey image (0.5 everywhere)
  // whatever the draw, and points a fixed distance across it stay inside [0,1].
  if (centred) {
    let mean = 0;
    for (let j = 0; j < PER; j++) mean += (W[j] - W[PER + j]) / PER;
    for (let j = 0; j < PER; j++) W[j] -= mean;
  }
  const b = Float32Array.of(0.1, -0.1);
  const bytes = encodeModel(
    makeModel({
      opsetImports: [{ domain: '', version: 13 }],
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f'], { axis: 1 }), makeNode('Gemm', ['f', 'w', 'b'], ['logits'], { transB: 1 })],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, S, S])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 2])],
        initializers: [makeTensor('w', [2, PER], W), makeTensor('b', [2], b)],
      },
    }),
  );
  return { bytes, W, b };
}

/** Class 0's margin z₀ − z₁ at x, and ‖w₀ − w₁‖ (float64 from the float32 weights the model holds). */
export function marginOf(m: LinearTwoClass, x: ArrayLike<number>): { margin: number; norm: number } {
  let margin = m.b[0] - m.b[1],
    sq = 0;
  for (let j = 0; j < PER; j++) {
    const d = m.W[j] - m.W[PER + j];
    margin += d * x[j];
    sq += d * d;
  }
  return { margin, norm: Math.sqrt(sq) };
}

/** Φ(x) = ½ + ∫₀ˣ φ by composite Simpson's rule with Kahan summation (an independent reference). */
export function phi(x: number): number {
  const m = 20_000,
    h = x / m;
  const f = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let s = f(0) + f(x),
    c = 0;
  for (let i = 1; i < m; i++) {
    const y = (i % 2 ? 4 : 2) * f(i * h) - c;
    const t = s + y;
    c = t - s - y;
    s = t;
  }
  return 0.5 + (s * h) / 3;
}

/** An ImageFolder (classes "0" and "1") of `count` S×S gray PNGs labelled by the model's clean prediction. */
export function writeImageFolder(dir: string, m: LinearTwoClass, count: number, seed = 9): void {
  const rng = new Rng(seed);
  for (const c of ['0', '1']) mkdirSync(join(dir, c), { recursive: true });
  for (let i = 0; i < count; i++) {
    const x = Float32Array.from({ length: PER }, () => Math.round(255 * rng.next()) / 255);
    const label = marginOf(m, x).margin >= 0 ? 0 : 1;
    writeFileSync(join(dir, String(label), `img${String(i).padStart(3, '0')}.png`), encodePng(x, 1, S, S));
  }
}
