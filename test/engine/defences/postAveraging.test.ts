import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PostAveragedModel,
  RADIUS_FRACTIONS,
  averagingPoints,
  pixelsPerModelUnit,
  pointsPerImage,
  radiusHint,
  radiusInPixels,
  randomDirections,
} from '../../../src/engine/defences/postAveraging';
import { EotGradient } from '../../../src/engine/defences/eotGradient';
import { Rng } from '../../../src/engine/util/random';
import { LinearModel, preprocessing } from './linearModel';

const softmax = (z: ArrayLike<number>) => {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

test('the sample set is x plus ±r/3, ±2r/3, ±r along each direction: 6K+1 points, symmetric about x', async () => {
  const p = preprocessing(1, 4, 5);
  const x = Float32Array.from({ length: 20 }, (_, i) => i / 20);
  const dirs = await randomDirections(p).sample(x, 1, 3, new Rng(4));
  const pts = averagingPoints(x, 1, 20, dirs, 3, 0.9);
  assert.equal(pointsPerImage(3), 19);
  assert.equal(pts.length, 19 * 20);
  assert.deepEqual(Array.from(pts.subarray(0, 20)), Array.from(x));
  // The mean of all points is x exactly (up to float32 rounding): the set is symmetric.
  for (let j = 0; j < 20; j++) {
    let s = 0;
    for (let q = 0; q < 19; q++) s += pts[q * 20 + j];
    assert.ok(Math.abs(s / 19 - x[j]) < 1e-6);
  }
  // The point for direction k and fraction f sits at distance |f|·r.
  for (let k = 0; k < 3; k++) {
    RADIUS_FRACTIONS.forEach((f, q) => {
      const row = pts.subarray((1 + k * 6 + q) * 20, (2 + k * 6 + q) * 20);
      const d = Math.sqrt(row.reduce((a, v, j) => a + (v - x[j]) ** 2, 0));
      assert.ok(Math.abs(d - Math.abs(f) * 0.9) < 1e-5, `distance ${d}`);
    });
  }
});

test("averaging a linear model's logits over the sample set returns its logits at x exactly", async () => {
  const p = preprocessing(3, 4, 4, [0.2, 0.3, 0.25]);
  const model = new LinearModel(p, 5);
  const x = Float32Array.from({ length: 2 * 48 }, (_, i) => ((i * 37) % 48) / 48);
  const dirs = await randomDirections(p).sample(x, 2, 15, new Rng(9));
  const pts = averagingPoints(x, 2, 48, dirs, 15, 4);
  const z = await model.scores(pts, 2 * 91);
  const z0 = await model.scores(x, 2);
  for (let i = 0; i < 2; i++) {
    for (let c = 0; c < 5; c++) {
      let s = 0;
      for (let q = 0; q < 91; q++) s += z[(i * 91 + q) * 5 + c];
      assert.ok(Math.abs(s / 91 - z0[i * 5 + c]) < 1e-4, `class ${c}: ${s / 91} vs ${z0[i * 5 + c]}`);
    }
  }
});

test('random directions have unit length in model-input space (pixel displacement = unit · std/scale)', async () => {
  const p = preprocessing(3, 3, 3, [0.2, 0.5, 0.25]);
  const s = pixelsPerModelUnit(p);
  assert.deepEqual(Array.from(s), [0.2, 0.5, 0.25]);
  const dirs = await randomDirections(p).sample(new Float32Array(27), 1, 4, new Rng(2));
  for (let k = 0; k < 4; k++) {
    let n = 0;
    for (let j = 0; j < 27; j++) n += (dirs[k * 27 + j] / s[Math.floor(j / 9)]) ** 2;
    assert.ok(Math.abs(Math.sqrt(n) - 1) < 1e-5);
  }
  assert.ok(Math.abs(radiusInPixels(6, p) - 6 * Math.sqrt((0.04 + 0.25 + 0.0625) / 3)) < 1e-12);
  // The hint (geometric mean of the paper's r/√d) is within 19% of both of the paper's radii: 30 at 224×224×3, 6 at 32×32×3.
  const ratioImageNet = radiusHint(224 * 224 * 3) / 30,
    ratioCifar = radiusHint(32 * 32 * 3) / 6;
  assert.ok(Math.abs(ratioImageNet * ratioCifar - 1) < 1e-12, 'geometric mean');
  assert.ok(ratioImageNet > 1 && ratioImageNet < 1.19 && ratioCifar < 1 && ratioCifar > 1 / 1.19);
});

test('the post-averaged output is the mean softmax over the points; nested K share one draw; seeded', async () => {
  const p = preprocessing(1, 3, 3);
  const model = new LinearModel(p, 4, 3);
  const x = Float32Array.from({ length: 9 }, (_, i) => i / 9);
  const pa = new PostAveragedModel(model, { K: 5, radius: 0.7, sampler: randomDirections(p), rng: new Rng(11) });
  const [k2, k5] = await pa.probabilitySums(x, 1, [2, 5]);
  // Reference: the same draw, points enumerated directly.
  const dirs = await randomDirections(p).sample(x, 1, 5, new Rng(11));
  const pts = averagingPoints(x, 1, 9, dirs, 5, 0.7);
  const z = await model.scores(pts, 31);
  const mean = (n: number) => {
    const acc = [0, 0, 0, 0];
    for (let q = 0; q < n; q++)
      softmax(z.subarray(q * 4, q * 4 + 4)).forEach((v, c) => {
        acc[c] += v / n;
      });
    return acc;
  };
  mean(13).forEach((v, c) => assert.ok(Math.abs(v - k2[c]) < 1e-6));
  mean(31).forEach((v, c) => assert.ok(Math.abs(v - k5[c]) < 1e-6));
  assert.ok(Math.abs(k5.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const again = new PostAveragedModel(model, { K: 5, radius: 0.7, sampler: randomDirections(p), rng: new Rng(11) });
  assert.deepEqual(Array.from(await again.scores(x, 1)), Array.from(k5));
});

test('points stream through the model a batch at a time: images split across batches, buffers reused across calls', async () => {
  const p = preprocessing(1, 3, 3);
  const model = new LinearModel(p, 4, 3); // batch size 16: each image's 31 points span two or three calls
  const calls: number[] = [];
  const counting = Object.assign(Object.create(model) as LinearModel, {
    scores: (x: Float32Array, n: number) => (calls.push(n), model.scores(x, n)),
  });
  const x = Float32Array.from({ length: 27 }, (_, i) => ((i * 7) % 27) / 27);
  const pa = new PostAveragedModel(counting, { K: 5, radius: 0.7, sampler: randomDirections(p), rng: new Rng(3) });
  const reference = async (images: Float32Array, count: number, rng: Rng) => {
    const pts = averagingPoints(images, count, 9, await randomDirections(p).sample(images, count, 5, rng), 5, 0.7);
    const z = await model.scores(pts, count * 31);
    return Array.from({ length: count }, (_, i) => {
      const acc = [0, 0, 0, 0];
      for (let q = 0; q < 31; q++) softmax(z.subarray((i * 31 + q) * 4, (i * 31 + q + 1) * 4)).forEach((v, c) => (acc[c] += v / 31));
      return acc;
    }).flat();
  };
  const rng = new Rng(3);
  for (const count of [3, 1, 2]) {
    calls.length = 0;
    const got = await pa.scores(x.subarray(0, count * 9), count);
    const want = await reference(x.subarray(0, count * 9), count, rng);
    want.forEach((v, j) => assert.ok(Math.abs(v - got[j]) < 1e-6, `count ${count}, value ${j}: ${got[j]} vs ${v}`));
    assert.ok(calls.every((n) => n <= 16));
    assert.equal(
      calls.reduce((a, b) => a + b, 0),
      count * 31,
    );
  }
});

test('a model call that fails while the next batch is built (a cancel, the budget stop) rejects the evaluation, not the process', async () => {
  const p = preprocessing(1, 3, 3);
  const model = new LinearModel(p, 4, 3); // batch size 16: 31 points per image, two calls or more
  let calls = 0;
  const failing = Object.assign(Object.create(model) as LinearModel, {
    // Rejects asynchronously, as the budget's wrapped model call does once the deadline passes.
    scores: async (x: Float32Array, n: number) => {
      if (++calls >= 2) throw new Error('stopped at the budget');
      return model.scores(x, n);
    },
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const pa = new PostAveragedModel(failing, { K: 5, radius: 0.7, sampler: randomDirections(p), rng: new Rng(3) });
    const x = Float32Array.from({ length: 27 }, (_, i) => i / 27);
    await assert.rejects(pa.scores(x, 3), /stopped at the budget/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, [], 'no call was left rejected without a handler');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('bad K and r are refused with what was expected', () => {
  const p = preprocessing(1, 3, 3);
  const model = new LinearModel(p, 2);
  assert.throws(
    () => new PostAveragedModel(model, { K: 0, radius: 1, sampler: randomDirections(p), rng: new Rng(1) }),
    /K = 0: expected a whole number/,
  );
  assert.throws(
    () => new PostAveragedModel(model, { K: 15, radius: -2, sampler: randomDirections(p), rng: new Rng(1) }),
    /radius r = -2: expected a positive length/,
  );
});

test('the EOT gradient of a linear model equals its plain gradient', async () => {
  const p = preprocessing(3, 4, 4, [0.3, 0.3, 0.3]);
  const model = new LinearModel(p, 3, 5);
  const x = Float32Array.from({ length: 2 * 48 }, (_, i) => (i % 7) / 7);
  const cotangent = Float32Array.from([1, -2, 0.5, 0, 1, 0]);
  const plain = await model.compute(x, 2, { cotangent });
  const eot = await new EotGradient(model, { K: 4, radius: 2, sampler: randomDirections(p), rng: new Rng(3), baseKind: 'logits' }).compute(
    x,
    2,
    { cotangent },
  );
  for (let j = 0; j < plain.grad.length; j++) assert.ok(Math.abs(plain.grad[j] - eot.grad[j]) < 1e-4, `coordinate ${j}`);
  // Its scores are the defended model's: log of the mean probabilities.
  const pa = new PostAveragedModel(model, { K: 4, radius: 2, sampler: randomDirections(p), rng: new Rng(3) });
  const probs = await pa.scores(x, 2);
  for (let j = 0; j < probs.length; j++) assert.ok(Math.abs(Math.exp(eot.logits[j]) - probs[j]) < 1e-5);
});

test('EOT over S of the 6K+1 points: S rows per image reach the model, and the weights still sum to one (a linear model: its plain gradient)', async () => {
  const p = preprocessing(3, 4, 4, [0.3, 0.3, 0.3]);
  const model = new LinearModel(p, 3, 5);
  const x = Float32Array.from({ length: 2 * 48 }, (_, i) => (i % 7) / 7);
  const cotangent = Float32Array.from([1, -2, 0.5, 0, 1, 0]);
  const plain = await model.compute(x, 2, { cotangent });
  for (const samples of [2, 5, 13, 25]) {
    let rows = 0;
    const counting = Object.create(model) as typeof model;
    counting.compute = (px: Float32Array, n: number, extra?: Parameters<typeof model.compute>[2]) => {
      rows += n;
      return model.compute(px, n, extra);
    };
    const eot = await new EotGradient(counting, {
      K: 4,
      radius: 2,
      sampler: randomDirections(p),
      rng: new Rng(3),
      baseKind: 'logits',
      samples,
    }).compute(x, 2, { cotangent });
    assert.equal(rows, 2 * Math.min(samples, pointsPerImage(4)), `${samples} samples`);
    for (let j = 0; j < plain.grad.length; j++)
      assert.ok(Math.abs(plain.grad[j] - eot.grad[j]) < 1e-4, `${samples} samples, coordinate ${j}`);
    // Scores: log of weighted mean probabilities, so they still sum to one.
    for (let i = 0; i < 2; i++) {
      const s = Array.from(eot.logits.subarray(i * 3, i * 3 + 3)).reduce((a, v) => a + Math.exp(v), 0);
      assert.ok(Math.abs(s - 1) < 1e-5);
    }
  }
});
