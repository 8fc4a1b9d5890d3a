/**
 * Occluded Frequency with band groups (adjacent bands ablated together). References: for a linear model with
 * the zero baseline, ablating a group removes the sum of its bands' components, so its score is the sum of
 * the single-band scores of the g = 1 run (closed form); the grouped ablated image is the image minus the
 * masked-DCT components of the group's bands (the definition, computed directly); g = 1 is the ungrouped code
 * path bit for bit; the default group size follows its rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dct2Planes, frequencyBand, idct2Planes } from '../../../src/engine/spectral/dct';
import {
  ablatedImages,
  bandCount,
  defaultBandGroup,
  groupBands,
  groupCount,
  occludedFrequency,
  OF_TARGET_GROUPS,
  type ScoreRows,
} from '../../../src/engine/spectral/occludedFrequency';
import { Rng } from '../../../src/engine/util/random';

function randomImage(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next());
}

/** s(x) = W x + b in double precision. */
function linearModel(classes: number, per: number, seed: number): ScoreRows {
  const rng = new Rng(seed);
  const weights = Array.from({ length: classes }, () => Float64Array.from({ length: per }, () => rng.normal() / Math.sqrt(per)));
  const bias = Array.from({ length: classes }, () => rng.normal());
  return async (pixels, count) => {
    const out = new Float32Array(count * classes);
    for (let r = 0; r < count; r++)
      weights.forEach((wk, k) => {
        let s = bias[k];
        for (let i = 0; i < per; i++) s += wk[i] * pixels[r * per + i];
        out[r * classes + k] = s;
      });
    return out;
  };
}

test('grouped scores of a linear model are the sums of the single-band scores of the g = 1 run', async () => {
  const shape: [number, number, number] = [3, 12, 10];
  const per = 3 * 12 * 10,
    count = 3,
    bands = bandCount(12, 10);
  const images = randomImage(count * per, 41);
  const score = linearModel(6, per, 42);
  const single = await occludedFrequency(images, count, shape, score, { scoreOn: 'logits', maxBatch: 16 });
  for (const g of [2, 3, 5, 12, 40]) {
    const grouped = await occludedFrequency(images, count, shape, score, { scoreOn: 'logits', maxBatch: 16, bandGroup: g });
    grouped.forEach((r, i) => {
      assert.equal(r.predicted, single[i].predicted);
      assert.equal(r.scores.length, Math.ceil(bands / g), `g ${g}: ⌈${bands}/${g}⌉ groups`);
      r.scores.forEach((s, k) => {
        const [first, last] = groupBands(k, g, bands);
        const sum = single[i].scores.slice(first, last + 1).reduce((a, b) => a + b, 0);
        // Float32 model outputs: each score carries ~1e-6 of the logits' size.
        assert.ok(Math.abs(s - sum) < 2e-5 * (1 + Math.abs(r.cleanLogit)), `g ${g}, image ${i}, group ${k}: ${s} vs Σ ${sum}`);
      });
    });
  }
});

test('a grouped ablated image is the image minus the masked-DCT components of its bands (the definition)', () => {
  const [c, h, w] = [2, 9, 7];
  const px = randomImage(c * h * w, 7);
  const bands = bandCount(h, w),
    g = 4,
    per = c * h * w;
  const X = dct2Planes(px, c, h, w);
  const out = ablatedImages(px, c, h, w, 'zero', undefined, g);
  assert.equal(out.length, groupCount(bands, g) * per);
  for (let k = 0; k < groupCount(bands, g); k++) {
    const [first, last] = groupBands(k, g, bands);
    const inGroup = (i: number) => {
      const b = frequencyBand(Math.floor((i % (h * w)) / w), i % w, h, w);
      return b >= first && b <= last;
    };
    const expected = idct2Planes(
      X.map((x, i) => (inGroup(i) ? 0 : x)),
      c,
      h,
      w,
    );
    for (let i = 0; i < per; i++) assert.ok(Math.abs(out[k * per + i] - expected[i]) < 1e-5, `group ${k}, pixel ${i}`);
  }
});

test('g = 1 is the ungrouped path bit for bit (zero and noise baselines)', async () => {
  const shape: [number, number, number] = [1, 8, 8];
  const images = randomImage(2 * 64, 3);
  const score = linearModel(4, 64, 4);
  for (const baseline of ['zero', 'noise'] as const) {
    const a = await occludedFrequency(images, 2, shape, score, { scoreOn: 'logits', maxBatch: 5, baseline, rng: new Rng(1) });
    const b = await occludedFrequency(images, 2, shape, score, { scoreOn: 'logits', maxBatch: 5, baseline, rng: new Rng(1), bandGroup: 1 });
    assert.deepEqual(b, a);
    assert.deepEqual(
      ablatedImages(images.subarray(0, 64), 1, 8, 8, baseline, new Rng(2), 1),
      ablatedImages(images.subarray(0, 64), 1, 8, 8, baseline, new Rng(2)),
    );
  }
});

test('the noise baseline ablates each band of a group to noise of its own RMS, drawn in the g = 1 order', () => {
  // A linear check: with the noise drawn in the same order, group k's ablated image minus the image equals the sum
  // of its bands' (ablated − image) differences of the g = 1 run.
  const [c, h, w] = [2, 6, 6];
  const px = randomImage(c * h * w, 9);
  const per = c * h * w,
    g = 3;
  const one = ablatedImages(px, c, h, w, 'noise', new Rng(5));
  const grouped = ablatedImages(px, c, h, w, 'noise', new Rng(5), g);
  for (let k = 0; k < groupCount(6, g); k++)
    for (let i = 0; i < per; i++) {
      let d = 0;
      for (let b = k * g; b < k * g + g; b++) d += one[b * per + i] - px[i];
      assert.ok(Math.abs(grouped[k * per + i] - px[i] - d) < 1e-5, `group ${k}, pixel ${i}`);
    }
});

test('default band group: 1 up to 64 bands (64×64), ⌈bands/64⌉ above (4 for 224×224, 56 passes)', () => {
  assert.equal(OF_TARGET_GROUPS, 64);
  assert.equal(defaultBandGroup(28, 28), 1);
  assert.equal(defaultBandGroup(64, 64), 1);
  assert.equal(defaultBandGroup(65, 65), 2);
  assert.equal(defaultBandGroup(224, 224), 4);
  assert.equal(groupCount(224, 4), 56);
  assert.equal(defaultBandGroup(32, 100), 2);
  for (const n of [65, 100, 128, 224, 299, 512]) assert.ok(groupCount(n, defaultBandGroup(n, n)) <= OF_TARGET_GROUPS, `${n} bands`);
  assert.deepEqual(groupBands(55, 4, 224), [220, 223]);
  assert.deepEqual(groupBands(2, 5, 12), [10, 11]);
});
