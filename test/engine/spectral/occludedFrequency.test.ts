import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { basisImage, dct2Planes, frequencyBand, idct2Planes } from '../../../src/engine/spectral/dct';
import {
  ablatedImages,
  bandComponents,
  bandCount,
  occludedFrequency,
  OccludedFrequencyAggregator,
  topBands,
  type ScoreRows,
} from '../../../src/engine/spectral/occludedFrequency';
import { EngineError } from '../../../src/engine/errors';
import { Rng } from '../../../src/engine/util/random';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const isError = (code: string, message: RegExp) => (e: unknown) => e instanceof EngineError && e.code === code && message.test(e.message);

function randomImage(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next());
}

/** The definition, directly: for each band, the inverse DCT of the coefficients with every other band zeroed. */
function maskedComponents(px: Float32Array, channels: number, h: number, w: number): Float64Array {
  const X = dct2Planes(px, channels, h, w),
    n = Math.max(h, w),
    per = channels * h * w;
  const out = new Float64Array(n * per);
  for (let band = 0; band < n; band++) {
    const masked = X.map((x, k) => (frequencyBand(Math.floor((k % (h * w)) / w), k % w, h, w) === band ? x : 0));
    out.set(idct2Planes(masked, channels, h, w), band * per);
  }
  return out;
}

/** s(x) = W x + b, evaluated in double precision, recording each call's row count and pixels. */
function linearModel(weights: Float64Array[], bias: number[]): { score: ScoreRows; calls: { count: number; pixels: Float32Array }[] } {
  const calls: { count: number; pixels: Float32Array }[] = [];
  const score: ScoreRows = async (pixels, count) => {
    calls.push({ count, pixels: pixels.slice() });
    const per = pixels.length / count,
      out = new Float32Array(count * weights.length);
    for (let r = 0; r < count; r++) {
      weights.forEach((wk, k) => {
        let s = bias[k];
        for (let i = 0; i < per; i++) s += wk[i] * pixels[r * per + i];
        out[r * weights.length + k] = s;
      });
    }
    return out;
  };
  return { score, calls };
}

function randomLinear(classes: number, per: number, seed: number): { weights: Float64Array[]; bias: number[] } {
  const rng = new Rng(seed);
  return {
    weights: Array.from({ length: classes }, () => Float64Array.from({ length: per }, () => rng.normal() / Math.sqrt(per))),
    bias: Array.from({ length: classes }, () => rng.normal() * 0.1),
  };
}

test('bandCount is max(h, w) and rejects sizes that are not positive integers', () => {
  assert.equal(bandCount(28, 28), 28);
  assert.equal(bandCount(3, 7), 7);
  assert.equal(bandCount(1, 1), 1);
  assert.throws(() => bandCount(0, 3), isError('USAGE', /height 0: expected a positive integer/));
  assert.throws(() => bandCount(4, 2.5), isError('USAGE', /width 2.5/));
});

test('band components sum to the image, and component i has DCT support exactly on band i', () => {
  for (const [c, h, w] of [
    [1, 1, 1],
    [1, 2, 2],
    [3, 5, 5],
    [1, 28, 28],
    [2, 3, 7],
    [1, 7, 4],
    [1, 6, 1],
  ]) {
    const px = randomImage(c * h * w, h * 31 + w),
      per = c * h * w,
      n = bandCount(h, w);
    const comps = bandComponents(px, c, h, w);
    assert.equal(comps.length, n * per);
    for (let k = 0; k < per; k++) {
      let s = 0;
      for (let band = 0; band < n; band++) s += comps[band * per + k];
      close(s, px[k], 1e-5, `${c}×${h}×${w} sum at ${k}`);
    }
    const X = dct2Planes(px, c, h, w);
    for (let band = 0; band < n; band++) {
      const Y = dct2Planes(comps.subarray(band * per, (band + 1) * per), c, h, w);
      for (let k = 0; k < per; k++) {
        const inBand = frequencyBand(Math.floor((k % (h * w)) / w), k % w, h, w) === band;
        close(Y[k], inBand ? X[k] : 0, 1e-5, `${c}×${h}×${w} band ${band} coefficient ${k}`);
      }
    }
  }
});

test('the rank-2 band components equal the masked inverse DCT, square and non-square', () => {
  for (const [c, h, w] of [
    [1, 1, 1],
    [1, 2, 2],
    [2, 5, 5],
    [1, 28, 28],
    [1, 3, 7],
    [3, 8, 5],
  ]) {
    const px = randomImage(c * h * w, 100 + h * w);
    const fast = bandComponents(px, c, h, w),
      ref = maskedComponents(px, c, h, w);
    for (let k = 0; k < ref.length; k++) close(fast[k], ref[k], 1e-6, `${c}×${h}×${w} value ${k}`);
  }
});

test('zero-baseline ablated images are the image minus the band component, unclipped', () => {
  const c = 2,
    h = 6,
    w = 5,
    per = c * h * w;
  const px = randomImage(per, 7);
  const comps = bandComponents(px, c, h, w),
    abl = ablatedImages(px, c, h, w);
  let outside = 0;
  for (let band = 0; band < bandCount(h, w); band++) {
    for (let k = 0; k < per; k++) {
      const v = abl[band * per + k];
      close(v, px[k] - comps[band * per + k], 1e-6, `band ${band} value ${k}`);
      if (v < 0 || v > 1) outside++;
    }
  }
  // Removing the DC band leaves a zero-mean image: negative pixels must survive (no clipping).
  assert.ok(outside > 0, 'some ablated pixels lie outside [0,1]');
});

test('a linear model scores band i as Σ over band i of DCT(W_c)·DCT(x) (orthonormal DCT, zero baseline)', async () => {
  for (const [c, h, w] of [
    [1, 28, 28],
    [3, 5, 7],
    [2, 6, 4],
  ] as [number, number, number][]) {
    const per = c * h * w,
      count = 2;
    const { weights, bias } = randomLinear(4, per, h + w);
    const images = randomImage(count * per, 3 * h);
    const { score } = linearModel(weights, bias);
    const results = await occludedFrequency(images, count, [c, h, w], score, { scoreOn: 'logits', maxBatch: 64 });
    for (let i = 0; i < count; i++) {
      const x = images.subarray(i * per, (i + 1) * per);
      const logits = weights.map((wk, k) => wk.reduce((s, v, j) => s + v * x[j], bias[k]));
      const predicted = logits.indexOf(Math.max(...logits));
      assert.equal(results[i].predicted, predicted);
      close(results[i].cleanLogit, logits[predicted], 1e-5, 'clean logit');
      const WX = dct2Planes(weights[predicted], c, h, w),
        X = dct2Planes(x, c, h, w);
      const expected = new Float64Array(bandCount(h, w));
      for (let k = 0; k < per; k++) expected[frequencyBand(Math.floor((k % (h * w)) / w), k % w, h, w)] += WX[k] * X[k];
      assert.equal(results[i].scores.length, expected.length);
      expected.forEach((e, band) => close(results[i].scores[band], e, 1e-5, `${c}×${h}×${w} image ${i} band ${band}`));
    }
  }
});

test('flips: removing the DC band of a mean-driven class flips the prediction, other bands leave the mean alone', async () => {
  const h = 6,
    w = 6,
    hw = h * w;
  const x = new Float32Array(hw).fill(0.5);
  const b1 = basisImage(1, 2, h, w),
    b2 = basisImage(4, 0, h, w);
  for (let k = 0; k < hw; k++) x[k] += 0.1 * b1[k] + 0.05 * b2[k];
  // Class 0 = mean pixel, class 1 = constant 0.25: clean → 0 (0.5 > 0.25); without DC the mean is 0 → class 1.
  const { score } = linearModel([new Float64Array(hw).fill(1 / hw), new Float64Array(hw)], [0, 0.25]);
  const [r] = await occludedFrequency(x, 1, [1, h, w], score, { scoreOn: 'logits', maxBatch: 100 });
  assert.equal(r.predicted, 0);
  close(r.cleanLogit, 0.5, 1e-6, 'clean mean');
  assert.deepEqual(r.flips, [true, false, false, false, false, false]);
  r.scores.forEach((s, band) => close(s, band === 0 ? 0.5 : 0, 1e-6, `band ${band}`));
});

test("scoreOn 'log-probabilities' scores log(max(p, 1e-12)) of the predicted class", async () => {
  // h = 2, w = 1: two bands, three rows per image: clean [0.7, 0.3], band 0 → [0, 1], band 1 → [0.6, 0.4].
  const rows = [
    [0.7, 0.3],
    [0, 1],
    [0.6, 0.4],
  ];
  const score: ScoreRows = async (_px, count) => Float32Array.from(rows.slice(0, count).flat());
  const [r] = await occludedFrequency(new Float32Array([0.2, 0.9]), 1, [1, 2, 1], score, { scoreOn: 'log-probabilities', maxBatch: 3 });
  assert.equal(r.predicted, 0);
  close(r.cleanLogit, Math.log(Math.fround(0.7)), 1e-12, 'clean');
  close(r.scores[0], Math.log(Math.fround(0.7)) - Math.log(1e-12), 1e-9, 'p = 0 is clamped to 1e-12');
  close(r.scores[1], Math.log(Math.fround(0.7)) - Math.log(Math.fround(0.6)), 1e-12, 'band 1');
  assert.deepEqual(r.flips, [true, false]);
});

test('batching: rows are clean image then its bands, packed across images; results do not depend on maxBatch', async () => {
  const shape: [number, number, number] = [2, 5, 6];
  const per = 60,
    count = 3,
    rowsPerImage = 7;
  const images = randomImage(count * per, 11);
  const { weights, bias } = randomLinear(5, per, 12);
  const runs = new Map<number, unknown>();
  for (const maxBatch of [1, 5, 7, 1000]) {
    for (const baseline of ['zero', 'noise'] as const) {
      const model = linearModel(weights, bias);
      const results = await occludedFrequency(images, count, shape, model.score, {
        baseline,
        scoreOn: 'logits',
        maxBatch,
        rng: new Rng(9),
      });
      assert.equal(model.calls.length, Math.ceil((count * rowsPerImage) / maxBatch), `calls with maxBatch ${maxBatch}`);
      assert.ok(model.calls.every((c) => c.count <= maxBatch && c.pixels.length === c.count * per));
      const key = baseline === 'zero' ? maxBatch : -maxBatch;
      runs.set(key, results);
      if (maxBatch === 1000) {
        const all = model.calls[0].pixels,
          rng = new Rng(9);
        for (let i = 0; i < count; i++) {
          const x = images.subarray(i * per, (i + 1) * per);
          const abl = ablatedImages(x, 2, 5, 6, baseline, rng);
          assert.deepEqual(all.subarray(i * rowsPerImage * per, (i * rowsPerImage + 1) * per), x, `clean row of image ${i}`);
          assert.deepEqual(all.subarray((i * rowsPerImage + 1) * per, (i + 1) * rowsPerImage * per), abl, `band rows of image ${i}`);
        }
      }
    }
  }
  for (const maxBatch of [1, 5, 7]) {
    assert.deepEqual(runs.get(maxBatch), runs.get(1000), `zero baseline, maxBatch ${maxBatch}`);
    assert.deepEqual(runs.get(-maxBatch), runs.get(-1000), `noise baseline, maxBatch ${maxBatch}`);
  }
  assert.notDeepEqual(runs.get(-1000), runs.get(1000), 'noise differs from zero');
});

test('a 28×28 image goes to the model in one call of 29 rows (clean + 28 bands)', async () => {
  const { weights, bias } = randomLinear(10, 784, 2);
  const model = linearModel(weights, bias);
  const t = performance.now();
  const [r] = await occludedFrequency(randomImage(784, 3), 1, [1, 28, 28], model.score, { scoreOn: 'logits', maxBatch: 29 });
  console.log(`occluded frequency, 28 bands of one 28×28 image (linear model in JS): ${(performance.now() - t).toFixed(1)} ms`);
  assert.deepEqual(
    model.calls.map((c) => c.count),
    [29],
  );
  assert.equal(r.scores.length, 28);
});

test('the noise baseline is seeded and repeatable and keeps each band’s RMS per channel', () => {
  const c = 2,
    h = 5,
    w = 7,
    hw = h * w,
    per = c * hw,
    n = bandCount(h, w);
  const px = randomImage(per, 21);
  const a = ablatedImages(px, c, h, w, 'noise', new Rng(3));
  assert.deepEqual(ablatedImages(px, c, h, w, 'noise', new Rng(3)), a);
  assert.notDeepEqual(ablatedImages(px, c, h, w, 'noise', new Rng(4)), a);
  const X = dct2Planes(px, c, h, w);
  for (let band = 0; band < n; band++) {
    const Y = dct2Planes(a.subarray(band * per, (band + 1) * per), c, h, w);
    for (let ch = 0; ch < c; ch++) {
      let removed = 0,
        noise = 0,
        size = 0,
        changed = 0;
      for (let k = 0; k < hw; k++) {
        const i = ch * hw + k;
        if (frequencyBand(Math.floor(k / w), k % w, h, w) !== band) {
          close(Y[i], X[i], 1e-5, `band ${band} channel ${ch}: coefficient ${k} outside the band is kept`);
          continue;
        }
        removed += X[i] * X[i];
        noise += Y[i] * Y[i];
        changed = Math.max(changed, Math.abs(Y[i] - X[i]));
        size++;
      }
      close(Math.sqrt(noise / size), Math.sqrt(removed / size), 1e-5, `band ${band} channel ${ch} RMS`);
      // A one-coefficient band (the DC) gets ±its own value: the same value half the time, by design.
      if (size > 1) assert.ok(changed > 1e-3, `band ${band} channel ${ch} was replaced`);
    }
  }
  assert.throws(() => ablatedImages(px, c, h, w, 'noise'), isError('USAGE', /baseline "noise" needs a seeded rng/));
});

test('the aggregator gives per-class means and flip rates (null for classes without images) and the dataset mean', () => {
  const agg = new OccludedFrequencyAggregator(2, 3);
  assert.throws(() => agg.mean(), isError('USAGE', /no images were added/));
  agg.add(0, [1, 2], [true, false]);
  agg.add(2, [3, -1], [false, false]);
  agg.add(0, [3, 0], [true, true]);
  assert.equal(agg.count, 3);
  assert.deepEqual(agg.perClass(), [
    { count: 2, scores: [2, 1], flipRate: [1, 0.5] },
    null,
    { count: 1, scores: [3, -1], flipRate: [0, 0] },
  ]);
  assert.deepEqual(agg.mean(), [7 / 3, 1 / 3]);
  assert.deepEqual(agg.flipRate(), [2 / 3, 1 / 3]);
  assert.throws(() => agg.add(3, [0, 0], [false, false]), isError('USAGE', /label 3: expected an integer in \[0, 3\)/));
  assert.throws(() => agg.add(1, [0], [false]), isError('USAGE', /1 scores and 1 flips: expected 2 of each/));
});

test('topBands: the k highest scores, highest first, ties to the lower band', () => {
  assert.deepEqual(topBands([0.1, 0.5, 0.5, -1, 0.3]), [1, 2, 4]);
  assert.deepEqual(topBands([0.1, 0.5, 0.5, -1, 0.3], 10), [1, 2, 4, 0, 3]);
  assert.deepEqual(topBands([2, 2, 2], 2), [0, 1]);
  assert.deepEqual(topBands([1, 2], 0), []);
  assert.throws(() => topBands([1], -1), isError('USAGE', /top-band count -1/));
});

test('an aborted signal cancels before the next model call', async () => {
  const images = randomImage(2 * 16, 5);
  const { weights, bias } = randomLinear(3, 16, 6);
  const before = linearModel(weights, bias),
    ctrl = new AbortController();
  ctrl.abort();
  await assert.rejects(
    occludedFrequency(images, 2, [1, 4, 4], before.score, { scoreOn: 'logits', maxBatch: 3, signal: ctrl.signal }),
    isError('CANCELLED', /cancelled after 0 of 10 model rows/),
  );
  assert.equal(before.calls.length, 0);
  const during = linearModel(weights, bias),
    ctrl2 = new AbortController();
  const score: ScoreRows = (px, n) => {
    ctrl2.abort();
    return during.score(px, n);
  };
  await assert.rejects(
    occludedFrequency(images, 2, [1, 4, 4], score, { scoreOn: 'logits', maxBatch: 3, signal: ctrl2.signal }),
    isError('CANCELLED', /after 3 of 10/),
  );
  assert.equal(during.calls.length, 1);
});

test('bad arguments and bad model outputs are reported with what was expected', async () => {
  const score = linearModel([new Float64Array(4)], [0]).score;
  const px = new Float32Array(4);
  const run = (opts: object, images = px, count = 1, shape: [number, number, number] = [1, 2, 2], s = score) =>
    occludedFrequency(images, count, shape, s, { scoreOn: 'logits', maxBatch: 8, ...opts });
  await assert.rejects(run({}, new Float32Array(5)), isError('USAGE', /5 pixel values for 1 images of 1×2×2: expected 4/));
  await assert.rejects(run({ maxBatch: 0 }), isError('USAGE', /maxBatch 0: expected a positive integer/));
  await assert.rejects(run({ baseline: 'blur' }), isError('USAGE', /baseline "blur": expected "zero" or "noise"/));
  await assert.rejects(run({ scoreOn: 'probabilities' }), isError('USAGE', /scoreOn "probabilities"/));
  await assert.rejects(run({}, px, 1, [0, 2, 2]), isError('USAGE', /channels 0/));
  await assert.rejects(
    run({}, px, 1, [1, 2, 2], async () => new Float32Array(7)),
    isError('RUNTIME', /returned 7 values for 3 rows/),
  );
  assert.deepEqual(await run({}, new Float32Array(0), 0), []);
  assert.throws(() => bandComponents(px, 1, 2, 3), isError('USAGE', /image has 4 values: expected 1×2×3 = 6/));
});

test('performance: band components of a 224×224×3 image (printed, target ≤ 1 s)', () => {
  const px = randomImage(3 * 224 * 224, 1);
  const t = performance.now();
  const comps = bandComponents(px, 3, 224, 224);
  console.log(`band components, 224×224×3 (224 bands): ${(performance.now() - t).toFixed(0)} ms`);
  // Spot check that the 224 components still add up to the image.
  for (const k of [0, 12345, 150527]) {
    let s = 0;
    for (let band = 0; band < 224; band++) s += comps[band * 150528 + k];
    close(s, px[k], 1e-4, `pixel ${k}`);
  }
});
