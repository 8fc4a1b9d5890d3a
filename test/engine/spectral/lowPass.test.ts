import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lowPassBatch, lowPassFilter, lowPassMatrix, maxCutoff } from '../../../src/engine/spectral/lowPass';
import { fft2Real, ifft2, signedFrequency } from '../../../src/engine/spectral/fft';
import { EngineError } from '../../../src/engine/errors';
import { Rng } from '../../../src/engine/util/random';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** The definition: 2-D DFT, zero every frequency with |k_y| > k or |k_x| > k, inverse DFT, real part. */
function reference(plane: ArrayLike<number>, h: number, w: number, k: number): { re: Float64Array; im: Float64Array } {
  const F = fft2Real(plane, h, w);
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      if (Math.abs(signedFrequency(u, h)) > k || Math.abs(signedFrequency(v, w)) > k) F.re[u * w + v] = F.im[u * w + v] = 0;
    }
  }
  return ifft2(F.re, F.im, h, w);
}

/** L_h · x · L_wᵀ with the exported matrices. */
function byMatrices(plane: ArrayLike<number>, h: number, w: number, k: number): Float64Array {
  const lh = lowPassMatrix(h, k),
    lw = lowPassMatrix(w, k),
    tmp = new Float64Array(h * w),
    out = new Float64Array(h * w);
  for (let i = 0; i < h; i++)
    for (let b = 0; b < w; b++) {
      let s = 0;
      for (let j = 0; j < w; j++) s += plane[i * w + j] * lw[b * w + j];
      tmp[i * w + b] = s;
    }
  for (let a = 0; a < h; a++)
    for (let b = 0; b < w; b++) {
      let s = 0;
      for (let i = 0; i < h; i++) s += lh[a * h + i] * tmp[i * w + b];
      out[a * w + b] = s;
    }
  return out;
}

const tone = (h: number, w: number, fy: number, fx: number) =>
  Float64Array.from({ length: h * w }, (_, k) => Math.cos(2 * Math.PI * ((fy * Math.floor(k / w)) / h + (fx * (k % w)) / w)));

test('lowPassFilter and L_h·x·L_wᵀ both equal the FFT definition (odd, even, non-square sizes; several cutoffs)', () => {
  const rng = new Rng(1);
  const cases: [number, number, number, number[]][] = [
    [1, 7, 7, [1, 2, 3]],
    [1, 8, 8, [1, 3, 4]],
    [2, 6, 9, [1, 2, 3, 4]],
    [1, 28, 28, [1, 5, 13, 14]],
    [3, 32, 32, [4, 8, 15, 16]],
    [1, 1, 5, [1, 2]],
  ];
  for (const [c, h, w, cutoffs] of cases) {
    const x = Float64Array.from({ length: c * h * w }, () => rng.next());
    for (const k of cutoffs) {
      const got = lowPassFilter(x, c, h, w, k);
      for (let ch = 0; ch < c; ch++) {
        const plane = x.subarray(ch * h * w, (ch + 1) * h * w);
        const ref = reference(plane, h, w, k);
        const what = `${c}×${h}×${w} cutoff ${k} channel ${ch}`;
        // The symmetric mask makes the definition's imaginary part vanish: the filter is real.
        assert.ok(Math.max(...Array.from(ref.im, Math.abs)) <= 1e-12, `${what}: imaginary part`);
        assert.ok(maxAbsDiff(got.subarray(ch * h * w, (ch + 1) * h * w), ref.re) <= 1e-12, `${what}: lowPassFilter`);
        assert.ok(maxAbsDiff(byMatrices(plane, h, w, k), ref.re) <= 1e-12, `${what}: matrices`);
      }
    }
  }
});

test('lowPassMatrix: closed-form entries, symmetric, the Nyquist row only at k = n/2, cached', () => {
  // n = 4, k = 1: L[i,j] = (1 + 2cos(π(i−j)/2)) / 4 → 3/4, 1/4, −1/4, 1/4 by (i − j) mod 4.
  const l4 = lowPassMatrix(4, 1),
    row = [0.75, 0.25, -0.25, 0.25];
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(l4[i * 4 + j] - row[(i - j + 4) % 4]) <= 1e-15, `L4[${i},${j}]`);
  // n = 5, k = 1: (1 + 2cos(2πd/5)) / 5.
  const l5 = lowPassMatrix(5, 1);
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 5; j++)
      assert.ok(Math.abs(l5[i * 5 + j] - (1 + 2 * Math.cos((2 * Math.PI * (i - j)) / 5)) / 5) <= 1e-15, `L5[${i},${j}]`);
  // k = n/2 adds the Nyquist term (−1)^(i−j)/n to k = n/2 − 1 and gives exactly I.
  const l8a = lowPassMatrix(8, 3),
    l8b = lowPassMatrix(8, 4);
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 8; j++) {
      assert.equal(l8b[i * 8 + j], i === j ? 1 : 0);
      assert.ok(Math.abs(l8a[i * 8 + j] + (-1) ** (i - j) / 8 - l8b[i * 8 + j]) <= 1e-15, `L8[${i},${j}]`);
      assert.equal(l8a[i * 8 + j], l8a[j * 8 + i]);
    }
  }
  assert.equal(lowPassMatrix(8, 3), l8a);
  assert.equal(lowPassMatrix(7, 50)[0], 1);
});

test('a pure tone inside the cutoff passes unchanged; one beyond it on either axis vanishes', () => {
  const h = 28,
    w = 32,
    k = 6;
  const inside = tone(h, w, 6, -5),
    beyondX = tone(h, w, 2, 7),
    beyondY = tone(h, w, -9, 0);
  assert.ok(maxAbsDiff(lowPassFilter(inside, 1, h, w, k), inside) <= 1e-12, 'tone (6, −5) kept');
  assert.ok(Math.max(...Array.from(lowPassFilter(beyondX, 1, h, w, k), Math.abs)) <= 1e-12, 'tone (2, 7) removed');
  assert.ok(Math.max(...Array.from(lowPassFilter(beyondY, 1, h, w, k), Math.abs)) <= 1e-12, 'tone (−9, 0) removed');
  const mixed = inside.map((v, i) => v + 0.5 * beyondX[i]);
  assert.ok(maxAbsDiff(lowPassFilter(mixed, 1, h, w, k), inside) <= 1e-12, 'sum: only the kept tone remains');
});

test('maxCutoff = max(⌊h/2⌋, ⌊w/2⌋) is exactly the identity; a cutoff past the shorter axis leaves that axis alone', () => {
  assert.equal(maxCutoff(224, 224), 112);
  assert.equal(maxCutoff(28, 28), 14);
  assert.equal(maxCutoff(7, 10), 5);
  assert.equal(maxCutoff(1, 1), 0);
  const rng = new Rng(2),
    c = 3,
    h = 7,
    w = 10;
  const x = Float32Array.from({ length: c * h * w }, () => rng.next());
  assert.deepEqual(lowPassFilter(x, c, h, w, maxCutoff(h, w), new Float32Array(x.length)), x);
  // Cutoff 3 = ⌊7/2⌋: the columns keep everything, so only the rows are filtered (by L_10 with k = 3).
  const got = lowPassFilter(x, c, h, w, 3),
    l10 = lowPassMatrix(10, 3);
  for (let i = 0; i < c * h; i++) {
    for (let b = 0; b < w; b++) {
      let s = 0;
      for (let j = 0; j < w; j++) s += x[i * w + j] * l10[b * w + j];
      assert.ok(Math.abs(got[i * w + b] - s) <= 1e-12, `row ${i} column ${b}`);
    }
  }
});

test('lowPassBatch filters each image like lowPassFilter, unclipped, into a Float32Array', () => {
  const rng = new Rng(3),
    count = 3,
    c = 3,
    h = 8,
    w = 8,
    size = c * h * w;
  const x = Float32Array.from({ length: count * size }, () => rng.next());
  const out = lowPassBatch(x, count, c, h, w, 1);
  assert.ok(out instanceof Float32Array);
  for (let i = 0; i < count; i++) {
    const one = lowPassFilter(x.subarray(i * size, (i + 1) * size), c, h, w, 1, new Float32Array(size));
    assert.deepEqual(out.subarray(i * size, (i + 1) * size), one, `image ${i}`);
  }
  // A step from 0 to 1 rings past [0, 1] once its high frequencies are cut: the result is not clipped.
  const step = Float32Array.from({ length: h * w }, (_, k) => (k % w < w / 2 ? 0 : 1));
  const filtered = lowPassBatch(step, 1, 1, h, w, 1);
  assert.ok(Math.min(...filtered) < 0 && Math.max(...filtered) > 1, `range ${Math.min(...filtered)} … ${Math.max(...filtered)}`);
  assert.deepEqual(lowPassBatch(new Float32Array(0), 0, c, h, w, 1), new Float32Array(0));
});

test('bad cutoffs and shapes are rejected with the value and the valid range', () => {
  const x = new Float64Array(3 * 28 * 28);
  const usage = (pattern: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message);
  assert.throws(() => lowPassFilter(x, 3, 28, 28, 0), usage(/cutoff 0: expected an integer from 1 to 14/));
  assert.throws(() => lowPassFilter(x, 3, 28, 28, 15), usage(/cutoff 15: expected an integer from 1 to 14/));
  assert.throws(() => lowPassFilter(x, 3, 28, 28, 2.5), usage(/cutoff 2.5: expected an integer from 1 to 14/));
  assert.throws(() => lowPassBatch(new Float32Array(10), 1, 1, 2, 2, 1), usage(/expected 1 × 1×2×2 = 4 values, got 10/));
  assert.throws(() => lowPassFilter(x, 1, 28, 28, 3), usage(/expected 1×28×28 = 784 values, got 2352/));
  assert.throws(() => lowPassFilter([0.5], 1, 1, 1, 1), usage(/a 1×1 image has no frequency to remove/));
  assert.throws(() => lowPassMatrix(8, 0), usage(/cutoff 0: expected an integer ≥ 1/));
  assert.throws(() => lowPassMatrix(0, 1), usage(/size 0: expected a positive integer/));
});
