import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RCT_EPSILON, RCT_DEFINITION, RctAccumulator } from '../../../src/engine/spectral/rct';
import { dctMatrix } from '../../../src/engine/spectral/dct';
import { EngineError } from '../../../src/engine/errors';
import { Rng } from '../../../src/engine/util/random';

const closeAll = (got: number[], expected: number[], tol: number, what: string) => {
  assert.equal(got.length, expected.length, what);
  got.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) <= tol, `${what}[${k}]: ${v} vs ${expected[k]}`));
};

// On 2×2, M = (1/√2)[[1, 1], [1, −1]], so D([[a, b], [c, d]]) = ½[[a+b+c+d, a−b+c−d], [a+b−c−d, a−b−c+d]].
// x = [[¼, ½], [¾, 1]] → D(x) = [[1.25, −0.25], [−0.5, 0]]; δ = ⅛ at (0,0) → D(δ) = ⅛·½ = 1/16 everywhere.
const x = [0.25, 0.5, 0.75, 1];
const adv = [0.375, 0.5, 0.75, 1];
const byHand = (eps: number, scale = 1) => [1.25, 0.25, 0.5, 0].map((dx) => (scale * 0.0625) / (dx + eps));

test('2×2 closed form: RCT = |D(δ)| / (|D(x)| + ε), including ε at a coefficient where D(x) = 0', () => {
  const acc = new RctAccumulator(1, 2, 2);
  assert.equal(acc.epsilon, DEFAULT_RCT_EPSILON);
  acc.add(x, adv);
  const map = acc.result();
  assert.equal(map.height, 2);
  assert.equal(map.width, 2);
  closeAll(map.values, byHand(0.01), 1e-12, 'ε = 0.01');
  assert.ok(Math.abs(map.values[3] - 6.25) <= 1e-12, 'the zero coefficient (1,1): (1/16)/ε = 6.25');

  const wide = new RctAccumulator(1, 2, 2, 0.25);
  wide.add(x, adv);
  closeAll(wide.result().values, byHand(0.25), 1e-12, 'ε = 0.25');
});

test('the map is the mean over images and over channels', () => {
  // A second image with twice the change: the mean is 1.5× the single-image map.
  const acc = new RctAccumulator(1, 2, 2);
  acc.add(x, adv);
  acc.add(x, [0.5, 0.5, 0.75, 1]);
  assert.equal(acc.count, 2);
  closeAll(acc.result().values, byHand(0.01, 1.5), 1e-12, 'two images');

  // Channel 1 unchanged: the channel mean halves the map.
  const two = new RctAccumulator(2, 2, 2);
  two.add([...x, ...x], [...adv, ...x]);
  closeAll(two.result().values, byHand(0.01, 0.5), 1e-12, 'two channels');
});

test('x′ = x gives an all-zero map', () => {
  const rng = new Rng(1),
    c = 3,
    h = 6,
    w = 5;
  const img = Float32Array.from({ length: c * h * w }, () => rng.next());
  const acc = new RctAccumulator(c, h, w);
  acc.add(img, img);
  assert.ok(acc.result().values.every((v) => v === 0));
});

test('non-square, several channels: matches the definition summed directly with the DCT matrices', () => {
  const rng = new Rng(2),
    c = 2,
    h = 3,
    w = 5,
    eps = 0.05;
  const clean = Float64Array.from({ length: c * h * w }, () => rng.next());
  const advImg = clean.map((v) => v + (rng.next() - 0.5) * 0.2);
  const mh = dctMatrix(h),
    mw = dctMatrix(w);
  const D = (img: ArrayLike<number>, ch: number, u: number, v: number) => {
    let s = 0;
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) s += mh[u * h + i] * mw[v * w + j] * img[ch * h * w + i * w + j];
    return s;
  };
  const expected: number[] = [];
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      let s = 0;
      for (let ch = 0; ch < c; ch++) s += Math.abs(D(advImg, ch, u, v) - D(clean, ch, u, v)) / (Math.abs(D(clean, ch, u, v)) + eps);
      expected.push(s / c);
    }
  }
  const acc = new RctAccumulator(c, h, w, eps);
  acc.add(clean, advImg);
  closeAll(acc.result().values, expected, 1e-12, '3×5×2');
});

test('definition text, the empty result, and rejected arguments', () => {
  assert.match(RCT_DEFINITION, /\|D\(x′_c\)\[u,v\] − D\(x_c\)\[u,v\]\| \/ \(\|D\(x_c\)\[u,v\]\| \+ ε\)/);
  const usage = (pattern: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message);
  assert.throws(() => new RctAccumulator(1, 2, 2, 0), usage(/ε = 0: expected a positive finite number/));
  assert.throws(() => new RctAccumulator(1, 2, 2, -0.1), usage(/ε = -0.1/));
  assert.throws(() => new RctAccumulator(1, 0, 2), usage(/height 0: expected a positive integer/));
  const acc = new RctAccumulator(1, 2, 2);
  assert.deepEqual(acc.result(), { height: 2, width: 2, values: [0, 0, 0, 0] }, 'empty: zeros, count 0');
  assert.throws(
    () => acc.add([0, 0, 0, 0], [0, 0, 0]),
    usage(/expected 1×2×2 = 4 values per image, got 4 \(clean\) and 3 \(adversarial\)/),
  );
});
