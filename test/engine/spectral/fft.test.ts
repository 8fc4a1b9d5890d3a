import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  centredFrequency,
  fft,
  fft2,
  fft2Real,
  fft2RealPair,
  fftPlan,
  fftShift,
  ifft,
  ifft2,
  signedFrequency,
  transpose,
} from '../../../src/engine/spectral/fft';
import { dct2, dctMatrix, idct2 } from '../../../src/engine/spectral/dct';
import { Rng } from '../../../src/engine/util/random';

const randomArray = (n: number, rng: Rng) => Float64Array.from({ length: n }, () => rng.normal());
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** X_k = Σ_j x_j e^{−2πi jk/n}, summed directly. */
function directDft(re: ArrayLike<number>, im: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = re.length,
    out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n,
        c = Math.cos(a),
        s = Math.sin(a);
      out.re[k] += re[j] * c - im[j] * s;
      out.im[k] += re[j] * s + im[j] * c;
    }
  }
  return out;
}

/** X[u,v] = Σ_{i,j} x[i,j] e^{−2πi(ui/h + vj/w)}, summed directly. */
function directDft2(re: ArrayLike<number>, im: ArrayLike<number>, h: number, w: number): { re: Float64Array; im: Float64Array } {
  const out = { re: new Float64Array(h * w), im: new Float64Array(h * w) };
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const a = -2 * Math.PI * (((u * i) % h) / h + ((v * j) % w) / w),
            c = Math.cos(a),
            s = Math.sin(a);
          out.re[u * w + v] += re[i * w + j] * c - im[i * w + j] * s;
          out.im[u * w + v] += re[i * w + j] * s + im[i * w + j] * c;
        }
      }
    }
  }
  return out;
}

// 101 and 202 have a prime factor above the direct radices, so they go through Bluestein.
const LENGTHS = [1, 2, 3, 7, 8, 28, 30, 31, 101, 202, 224];

test('fft matches the direct O(n²) DFT for every kind of length (radix 2/4, 3, 7, 31, Bluestein)', () => {
  const rng = new Rng(1);
  for (const n of LENGTHS) {
    const re = randomArray(n, rng),
      im = randomArray(n, rng);
    const expected = directDft(re, im);
    const got = { re: re.slice(), im: im.slice() };
    fft(got.re, got.im);
    const err = Math.max(maxAbsDiff(got.re, expected.re), maxAbsDiff(got.im, expected.im));
    assert.ok(err <= 1e-9 * n, `n=${n}: max error ${err}`);
  }
});

test('ifft inverts fft (with the 1/n), and Parseval holds: Σ|x|² = (1/n) Σ|X|²', () => {
  const rng = new Rng(2);
  for (const n of LENGTHS) {
    const re = randomArray(n, rng),
      im = randomArray(n, rng);
    const X = { re: re.slice(), im: im.slice() };
    fft(X.re, X.im);
    let energy = 0,
      spectral = 0;
    for (let i = 0; i < n; i++) {
      energy += re[i] ** 2 + im[i] ** 2;
      spectral += X.re[i] ** 2 + X.im[i] ** 2;
    }
    assert.ok(Math.abs(spectral / n - energy) <= 1e-12 * energy, `n=${n}: Parseval ${spectral / n} vs ${energy}`);
    ifft(X.re, X.im);
    assert.ok(Math.max(maxAbsDiff(X.re, re), maxAbsDiff(X.im, im)) <= 1e-12, `n=${n}: round trip`);
  }
});

test('a pure cosine of frequency f lands in exactly the two bins ±f, each with n/2', () => {
  for (const [n, f] of [
    [8, 3],
    [28, 5],
    [31, 1],
    [101, 17],
    [224, 40],
  ]) {
    const re = Float64Array.from({ length: n }, (_, j) => Math.cos((2 * Math.PI * f * j) / n)),
      im = new Float64Array(n);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      const expected = k === f || k === n - f ? n / 2 : 0;
      assert.ok(
        Math.abs(re[k] - expected) <= 1e-11 * n && Math.abs(im[k]) <= 1e-11 * n,
        `n=${n} bin ${k}: ${re[k]} + ${im[k]}i, expected ${expected}`,
      );
    }
  }
});

test('a batched transform treats each interleaved column as its own sequence', () => {
  const rng = new Rng(3);
  for (const n of [28, 101]) {
    const batch = 5,
      re = randomArray(n * batch, rng),
      im = randomArray(n * batch, rng);
    const got = { re: re.slice(), im: im.slice() };
    fftPlan(n).forward(got.re, got.im, batch);
    for (let b = 0; b < batch; b++) {
      const col = (a: Float64Array) => Float64Array.from({ length: n }, (_, t) => a[t * batch + b]);
      const expected = directDft(col(re), col(im));
      assert.ok(Math.max(maxAbsDiff(col(got.re), expected.re), maxAbsDiff(col(got.im), expected.im)) <= 1e-9 * n, `n=${n} column ${b}`);
    }
  }
  assert.throws(() => fftPlan(0), /length 0: expected a positive integer/);
  assert.throws(() => fft(new Float64Array(3), new Float64Array(4)), /re has 3 values but im has 4/);
});

test('fft2 / fft2Real match the direct 2-D DFT on non-square planes, and ifft2 inverts them', () => {
  const rng = new Rng(4);
  for (const [h, w] of [
    [1, 1],
    [1, 6],
    [5, 6],
    [7, 4],
    [3, 31],
  ]) {
    const re = randomArray(h * w, rng),
      im = randomArray(h * w, rng);
    const expected = directDft2(re, im, h, w);
    const got = fft2(re, im, h, w);
    const tol = 1e-9 * h * w;
    assert.ok(Math.max(maxAbsDiff(got.re, expected.re), maxAbsDiff(got.im, expected.im)) <= tol, `${h}×${w} complex`);
    const real = fft2Real(re, h, w),
      realExpected = directDft2(re, new Float64Array(h * w), h, w);
    assert.ok(Math.max(maxAbsDiff(real.re, realExpected.re), maxAbsDiff(real.im, realExpected.im)) <= tol, `${h}×${w} real`);
    const back = ifft2(got.re, got.im, h, w);
    assert.ok(Math.max(maxAbsDiff(back.re, re), maxAbsDiff(back.im, im)) <= 1e-12, `${h}×${w} round trip`);
  }
  assert.throws(() => fft2Real(new Float64Array(5), 2, 3), /expected 2×3 = 6 values, got 5/);
});

test('fft2RealPair separates the spectra of two real planes sharing one transform', () => {
  const rng = new Rng(5);
  for (const [h, w] of [
    [1, 1],
    [4, 7],
    [28, 28],
    [9, 6],
  ]) {
    const a = randomArray(h * w, rng),
      b = randomArray(h * w, rng);
    const [fa, fb] = fft2RealPair(a, b, h, w);
    const ea = fft2Real(a, h, w),
      eb = fft2Real(b, h, w);
    const err = Math.max(maxAbsDiff(fa.re, ea.re), maxAbsDiff(fa.im, ea.im), maxAbsDiff(fb.re, eb.re), maxAbsDiff(fb.im, eb.im));
    assert.ok(err <= 1e-12 * h * w, `${h}×${w}: ${err}`);
  }
});

test('a 2-D cosine lands in the two bins ±(f_y, f_x), each with h·w/2, and Parseval holds in 2-D', () => {
  const h = 28,
    w = 30,
    fy = 3,
    fx = 7;
  const plane = Float64Array.from({ length: h * w }, (_, k) => Math.cos(2 * Math.PI * ((fy * Math.floor(k / w)) / h + (fx * (k % w)) / w)));
  const F = fft2Real(plane, h, w);
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      const hit = (u === fy && v === fx) || (u === h - fy && v === w - fx);
      const k = u * w + v;
      assert.ok(
        Math.abs(F.re[k] - (hit ? (h * w) / 2 : 0)) <= 1e-9 && Math.abs(F.im[k]) <= 1e-9,
        `bin (${u},${v}): ${F.re[k]} + ${F.im[k]}i`,
      );
    }
  }
  const rng = new Rng(6),
    x = randomArray(h * w, rng),
    X = fft2Real(x, h, w);
  const energy = x.reduce((s, v) => s + v * v, 0),
    spectral = X.re.reduce((s, v, k) => s + v * v + X.im[k] ** 2, 0);
  assert.ok(Math.abs(spectral / (h * w) - energy) <= 1e-12 * energy, `2-D Parseval ${spectral / (h * w)} vs ${energy}`);
});

test('fftShift moves DC to (⌊h/2⌋, ⌊w/2⌋) and every index k to the position of its signed frequency', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((k) => signedFrequency(k, 4)),
    [0, 1, -2, -1],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((k) => signedFrequency(k, 5)),
    [0, 1, 2, -2, -1],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => centredFrequency(p, 4)),
    [-2, -1, 0, 1],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((p) => centredFrequency(p, 5)),
    [-2, -1, 0, 1, 2],
  );
  for (const [h, w] of [
    [4, 5],
    [5, 4],
    [1, 3],
    [6, 6],
  ]) {
    const index = Float64Array.from({ length: h * w }, (_, k) => k);
    const shifted = fftShift(index, h, w);
    assert.equal(shifted[Math.floor(h / 2) * w + Math.floor(w / 2)], 0, `${h}×${w}: DC`);
    for (let p = 0; p < h; p++) {
      for (let q = 0; q < w; q++) {
        const k = shifted[p * w + q],
          u = Math.floor(k / w),
          v = k % w;
        assert.equal(signedFrequency(u, h), centredFrequency(p, h), `${h}×${w} row ${p}`);
        assert.equal(signedFrequency(v, w), centredFrequency(q, w), `${h}×${w} column ${q}`);
      }
    }
  }
  assert.deepEqual(Array.from(transpose([1, 2, 3, 4, 5, 6], 2, 3)), [1, 4, 2, 5, 3, 6]);
});

// Belongs with dct.test.ts; here because the FFT is what dct2/idct2 now run on.
test('the FFT-based dct2 and idct2 equal the matrix definition M_h x M_wᵀ and M_hᵀ X M_w (to 1e-12 of the plane max)', () => {
  const rng = new Rng(7);
  const byMatrix = (x: Float64Array, h: number, w: number, inverse: boolean) => {
    const mh = dctMatrix(h),
      mw = dctMatrix(w),
      out = new Float64Array(h * w);
    for (let a = 0; a < h; a++) {
      for (let b = 0; b < w; b++) {
        let s = 0;
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) s += x[i * w + j] * (inverse ? mh[i * h + a] * mw[j * w + b] : mh[a * h + i] * mw[b * w + j]);
        }
        out[a * w + b] = s;
      }
    }
    return out;
  };
  for (const [h, w] of [
    [1, 1],
    [1, 4],
    [3, 1],
    [2, 3],
    [8, 8],
    [9, 16],
    [28, 28],
    [31, 17],
  ]) {
    const x = Float64Array.from({ length: h * w }, () => rng.next());
    for (const inverse of [false, true]) {
      const expected = byMatrix(x, h, w, inverse),
        got = inverse ? idct2(x, h, w) : dct2(x, h, w);
      const scale = Math.max(...Array.from(expected, Math.abs));
      assert.ok(maxAbsDiff(got, expected) <= 1e-12 * scale, `${h}×${w} ${inverse ? 'idct2' : 'dct2'}`);
    }
  }
  // 224×224 against the separable matrix products (the full quadruple sum would take minutes).
  const n = 224,
    m = dctMatrix(n),
    x = Float64Array.from({ length: n * n }, () => rng.next());
  const rows = new Float64Array(n * n),
    X = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let v = 0; v < n; v++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[i * n + j] * m[v * n + j];
      rows[i * n + v] = s;
    }
  for (let u = 0; u < n; u++)
    for (let v = 0; v < n; v++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += m[u * n + i] * rows[i * n + v];
      X[u * n + v] = s;
    }
  const scale = Math.max(...Array.from(X, Math.abs));
  assert.ok(maxAbsDiff(dct2(x, n, n), X) <= 1e-12 * scale, '224×224 dct2');
  assert.ok(maxAbsDiff(idct2(X, n, n), x) <= 1e-12, '224×224 idct2');
});
