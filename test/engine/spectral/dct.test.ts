import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  basisImage,
  dct2,
  dct2Planes,
  dctMatrix,
  frequencyBand,
  idct2,
  idct2Planes,
  lowFrequencyOrder,
} from '../../../src/engine/spectral/dct';
import { Rng } from '../../../src/engine/util/random';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('dctMatrix is orthonormal (M Mᵀ = I) and matches the DCT-II formula', () => {
  for (const n of [1, 2, 5, 8, 28]) {
    const m = dctMatrix(n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += m[a * n + i] * m[b * n + i];
        close(s, a === b ? 1 : 0, 1e-12, `n=${n} rows ${a},${b}`);
      }
    }
  }
  const m = dctMatrix(4);
  close(m[0], 0.5, 1e-15, 'DC entry 1/√4');
  close(m[1 * 4 + 0], Math.sqrt(2 / 4) * Math.cos(Math.PI / 8), 1e-15, 'M[1,0]');
  assert.throws(() => dctMatrix(0), /positive integer/);
});

test('dct2 matches the direct double sum, and idct2 inverts it (non-square plane)', () => {
  const h = 5,
    w = 7,
    rng = new Rng(1);
  const x = Float64Array.from({ length: h * w }, () => rng.normal());
  const X = dct2(x, h, w);
  const alpha = (k: number, n: number) => Math.sqrt((k === 0 ? 1 : 2) / n);
  for (const [u, v] of [
    [0, 0],
    [1, 3],
    [4, 6],
    [2, 0],
  ]) {
    let s = 0;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        s += x[i * w + j] * Math.cos((Math.PI * (2 * i + 1) * u) / (2 * h)) * Math.cos((Math.PI * (2 * j + 1) * v) / (2 * w));
    close(X[u * w + v], alpha(u, h) * alpha(v, w) * s, 1e-12, `X[${u},${v}]`);
  }
  const back = idct2(X, h, w);
  for (let i = 0; i < h * w; i++) close(back[i], x[i], 1e-12, `round trip ${i}`);
  // Parseval: an orthonormal transform keeps the energy.
  close(
    X.reduce((a, b) => a + b * b, 0),
    x.reduce((a, b) => a + b * b, 0),
    1e-10,
    'energy',
  );
});

test('a constant plane has only a DC coefficient; planes are transformed per channel', () => {
  const h = 4,
    w = 6,
    c = 2;
  const px = new Float64Array(c * h * w);
  px.fill(0.5, 0, h * w);
  px.fill(-1, h * w);
  const X = dct2Planes(px, c, h, w);
  close(X[0], 0.5 * Math.sqrt(h * w), 1e-12, 'DC channel 0');
  close(X[h * w], -Math.sqrt(h * w), 1e-12, 'DC channel 1');
  for (let i = 1; i < h * w; i++) {
    close(X[i], 0, 1e-12, `AC ${i}`);
    close(X[h * w + i], 0, 1e-12, `AC ${i}`);
  }
  const back = idct2Planes(X, c, h, w);
  for (let i = 0; i < px.length; i++) close(back[i], px[i], 1e-12, `round trip ${i}`);
  assert.throws(() => dct2Planes(px, 3, h, w), /expected 3×4×6 = 72 values, got 48/);
});

test('basis images are orthonormal and are the inverse transforms of one-hot coefficients', () => {
  const h = 3,
    w = 4,
    n = h * w;
  const basis = Array.from({ length: n }, (_, k) => basisImage(Math.floor(k / w), k % w, h, w));
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += basis[a][i] * basis[b][i];
      close(s, a === b ? 1 : 0, 1e-12, `basis ${a}·${b}`);
    }
    const onehot = new Float64Array(n);
    onehot[a] = 1;
    const img = idct2(onehot, h, w);
    for (let i = 0; i < n; i++) close(img[i], basis[a][i], 1e-12, `basis ${a} pixel ${i}`);
  }
});

test('lowFrequencyOrder: a permutation, lowest 1/8 block first (all channels), then bands in increasing order', () => {
  const c = 3,
    h = 28,
    w = 28;
  const order = lowFrequencyOrder(c, h, w, 1 / 8, new Rng(0));
  assert.equal(order.length, c * h * w);
  assert.equal(new Set(order).size, order.length);
  const band = (idx: number) => {
    const r = idx % (h * w);
    return frequencyBand(Math.floor(r / w), r % w, h, w);
  };
  const first = Math.round(28 / 8); // 4 (3.5 rounds up): 4×4 per channel
  for (let k = 0; k < c * first * first; k++) assert.ok(band(order[k]) < first, `position ${k}: band ${band(order[k])}`);
  for (let k = c * first * first + 1; k < order.length; k++)
    assert.ok(band(order[k]) >= band(order[k - 1]), `bands not increasing at ${k}`);
  assert.deepEqual(Array.from(lowFrequencyOrder(c, h, w, 1 / 8, new Rng(0))), Array.from(order));
  assert.notDeepEqual(Array.from(lowFrequencyOrder(c, h, w, 1 / 8, new Rng(1)).subarray(0, 48)), Array.from(order.subarray(0, 48)));
  // Non-square planes: the band is the larger of the normalised axis indices.
  assert.equal(frequencyBand(3, 1, 4, 8), 6);
  assert.equal(frequencyBand(1, 5, 4, 8), 5);
  assert.equal(frequencyBand(1, 0, 4, 8), 2);
});
