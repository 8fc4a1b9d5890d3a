/**
 * The low-pass defence of "A frequency domain analysis of gradient-based adversarial examples": per
 * channel, take the 2-D DFT, keep the frequencies with |k_x| ≤ k and |k_y| ≤ k (centred integer
 * frequencies, both signs), zero the rest, invert and keep the real part.
 *
 * The mask is separable and symmetric (f kept ⇔ −f kept; for even n the frequency −n/2 is its own mirror
 * and is kept only when k ≥ n/2), so the filter is real and equals x ↦ L_h · x · L_wᵀ with the symmetric
 * circulant matrix L_n[i,j] = (1/n) Σ_{f kept} cos(2π f (i−j) / n). The matrices are what the engine puts
 * into ONNX MatMul nodes to differentiate through the filter; images are filtered with FFTs along each
 * axis (the same operator, O(n² log n) instead of O(n³) per plane). An axis whose cutoff reaches ⌊n/2⌋
 * keeps every frequency: its matrix is exactly the identity and the axis is left untouched.
 *
 * The filtered image is passed to the model as it is: not clipped to [0, 1] (the paper's filter is a
 * linear layer in front of the classifier).
 */
import { EngineError } from '../errors';
import { fftPlan, signedFrequency, transpose } from './fft';

/** The largest useful cutoff of an h × w image, max(⌊h/2⌋, ⌊w/2⌋): there the filter is the identity. */
export function maxCutoff(h: number, w: number): number {
  return Math.max(Math.floor(h / 2), Math.floor(w / 2));
}

const matrices = new Map<string, Float64Array>();

/**
 * L_n for a cutoff (an integer ≥ 1; cutoffs ≥ ⌊n/2⌋ give the identity, as on the shorter axis of a
 * non-square image). Row-major n × n, symmetric, cached: do not modify.
 */
export function lowPassMatrix(n: number, cutoff: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new EngineError('USAGE', `low-pass matrix size ${n}: expected a positive integer`);
  if (!Number.isInteger(cutoff) || cutoff < 1) throw new EngineError('USAGE', `low-pass cutoff ${cutoff}: expected an integer ≥ 1`);
  const key = `${n}:${Math.min(cutoff, Math.floor(n / 2))}`;
  let m = matrices.get(key);
  if (!m) {
    m = new Float64Array(n * n);
    if (cutoff >= Math.floor(n / 2)) {
      for (let i = 0; i < n; i++) m[i * n + i] = 1;
    } else {
      // Below ⌊n/2⌋ the kept set is {−k … k} on both parities: L depends only on the circular distance
      // d = min(|i − j|, n − |i − j|) (cos is even), which also makes the matrix exactly symmetric.
      const kernel = new Float64Array(Math.floor(n / 2) + 1);
      for (let d = 0; d < kernel.length; d++) {
        let s = 1;
        for (let f = 1; f <= cutoff; f++) s += 2 * Math.cos((2 * Math.PI * ((f * d) % n)) / n);
        kernel[d] = s / n;
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) m[i * n + j] = kernel[Math.min(Math.abs(i - j), n - Math.abs(i - j))];
      }
    }
    matrices.set(key, m);
  }
  return m;
}

/** Low-pass filter one planar [C,H,W] image (into `out` if given). */
export function lowPassFilter(pixels: ArrayLike<number>, channels: number, h: number, w: number, cutoff: number): Float64Array;
export function lowPassFilter<T extends Float32Array | Float64Array>(
  pixels: ArrayLike<number>,
  channels: number,
  h: number,
  w: number,
  cutoff: number,
  out: T,
): T;
export function lowPassFilter(
  pixels: ArrayLike<number>,
  channels: number,
  h: number,
  w: number,
  cutoff: number,
  out?: Float32Array | Float64Array,
): Float32Array | Float64Array {
  checkShape(channels, h, w);
  checkCutoff(cutoff, h, w);
  const hw = h * w;
  if (pixels.length !== channels * hw)
    throw new EngineError('USAGE', `low-pass filter: expected ${channels}×${h}×${w} = ${channels * hw} values, got ${pixels.length}`);
  const result = out ?? new Float64Array(channels * hw);
  if (result.length !== channels * hw)
    throw new EngineError('USAGE', `low-pass filter: output holds ${result.length} values, expected ${channels * hw}`);
  filterImage(pixels, 0, channels, h, w, cutoff, result, 0);
  return result;
}

/** Low-pass filter `count` planar [C,H,W] images stored one after another. */
export function lowPassBatch(pixels: Float32Array, count: number, channels: number, h: number, w: number, cutoff: number): Float32Array {
  checkShape(channels, h, w);
  checkCutoff(cutoff, h, w);
  const size = channels * h * w;
  if (!Number.isInteger(count) || count < 0 || pixels.length !== count * size) {
    throw new EngineError(
      'USAGE',
      `low-pass batch: expected ${count} × ${channels}×${h}×${w} = ${count * size} values, got ${pixels.length}`,
    );
  }
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < count; i++) filterImage(pixels, i * size, channels, h, w, cutoff, out, i * size);
  return out;
}

function filterImage(
  src: ArrayLike<number>,
  from: number,
  channels: number,
  h: number,
  w: number,
  cutoff: number,
  out: Float32Array | Float64Array,
  to: number,
): void {
  const hw = h * w;
  const plane = new Float64Array(hw),
    t = new Float64Array(hw);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < hw; i++) plane[i] = src[from + c * hw + i];
    if (cutoff < Math.floor(h / 2)) filterColumns(plane, h, w, cutoff);
    if (cutoff < Math.floor(w / 2)) {
      transpose(plane, h, w, t);
      filterColumns(t, w, h, cutoff);
      transpose(t, w, h, plane);
    }
    out.set(plane, to + c * hw);
  }
}

/**
 * Applies L_n to every column of a row-major n × batch array in place. L_n is real, so columns j and
 * j + ⌈batch/2⌉ can travel as one complex sequence a + i·b: L(a + i·b) = La + i·Lb.
 */
function filterColumns(data: Float64Array, n: number, batch: number, cutoff: number): void {
  const half = Math.ceil(batch / 2),
    rest = batch - half;
  const re = new Float64Array(n * half),
    im = new Float64Array(n * half);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < half; j++) re[t * half + j] = data[t * batch + j];
    for (let j = 0; j < rest; j++) im[t * half + j] = data[t * batch + half + j];
  }
  const plan = fftPlan(n);
  plan.forward(re, im, half);
  for (let k = 0; k < n; k++) {
    if (Math.abs(signedFrequency(k, n)) > cutoff) {
      re.fill(0, k * half, (k + 1) * half);
      im.fill(0, k * half, (k + 1) * half);
    }
  }
  plan.inverse(re, im, half);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < half; j++) data[t * batch + j] = re[t * half + j];
    for (let j = 0; j < rest; j++) data[t * batch + half + j] = im[t * half + j];
  }
}

function checkShape(channels: number, h: number, w: number): void {
  for (const [name, v] of [
    ['channels', channels],
    ['height', h],
    ['width', w],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new EngineError('USAGE', `low-pass filter: ${name} ${v}: expected a positive integer`);
  }
}

function checkCutoff(cutoff: number, h: number, w: number): void {
  const max = maxCutoff(h, w);
  if (max < 1) throw new EngineError('USAGE', `low-pass cutoff ${cutoff}: a ${h}×${w} image has no frequency to remove`);
  if (!Number.isInteger(cutoff) || cutoff < 1 || cutoff > max) {
    throw new EngineError(
      'USAGE',
      `low-pass cutoff ${cutoff}: expected an integer from 1 to ${max} (${max} keeps every frequency of a ${h}×${w} image)`,
      { expected: `an integer in 1…${max}` },
    );
  }
}
