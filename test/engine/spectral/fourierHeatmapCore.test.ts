/**
 * The Fourier heat maps of the defended models (fourierHeatmapCore.ts) on a tiny linear model:
 *  - each defended map equals the map computed here directly: every cell's images perturbed with the cosine
 *    written out and the recorded sign stream, then classified by the defended ScoreModel itself (the
 *    low-pass model; the post-averaged model seeded with the cell's recorded seed);
 *  - the low-pass model cannot see a frequency its filter removes: there (and nothing clips) its error is its
 *    clean error exactly (closed form: L(x + εU) = L(x) + εL(U) = L(x));
 *  - the default set of defences follows the image size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LowPassModel } from '../../../src/engine/defences/lowPassModel';
import { DEFAULT_K, PostAveragedModel, radiusHint, randomDirections } from '../../../src/engine/defences/postAveraging';
import { roundTo } from '../../../src/engine/defences/defenceSweeps';
import { computeFourierHeatmap, fourierDefences, fourierModels } from '../../../src/engine/jobs/fourierHeatmapCore';
import type { ScoreModel } from '../../../src/engine/runtime/scoreModel';
import { Rng } from '../../../src/engine/util/random';
import { seedFor } from '../../../src/engine/util/seeds';
import { LinearModel, preprocessing } from '../defences/linearModel';

const S = 8,
  PER = S * S,
  IMAGES = 20,
  EPS = 1,
  SEED = 9,
  CUTOFF = 1;
const p = preprocessing(1, S, S);

function argmax(scores: Float32Array, i: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (scores[i * k + c] > scores[i * k + best]) best = c;
  return best;
}

/** Pixels in [0.3, 0.7] (ε·max|U| = √2/8 ≈ 0.18: nothing clips); labels the base model's clean predictions. */
async function fixture() {
  const base = new LinearModel(p, 3, 4);
  const rng = new Rng(21);
  const pixels = Float32Array.from({ length: IMAGES * PER }, () => 0.3 + 0.4 * rng.next());
  const clean = await base.scores(pixels, IMAGES);
  const labels = Array.from({ length: IMAGES }, (_, i) => argmax(clean, i, 3));
  return { base, pixels, labels };
}

/** The map of `modelFor(cell index)` computed directly from the definition, cell by cell. */
async function directMap(
  s: { fy: number[]; fx: number[] },
  pixels: Float32Array,
  labels: number[],
  modelFor: (index: number) => ScoreModel,
): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  for (let r = 0; r < s.fy.length; r++)
    for (let c = 0; c < s.fx.length; c++) {
      const index = r * s.fx.length + c;
      const mr = s.fy.indexOf(s.fy[r] === -S / 2 ? -S / 2 : -s.fy[r] || 0);
      const mc = s.fx.indexOf(s.fx[c] === -S / 2 ? -S / 2 : -s.fx[c] || 0);
      const mirror = mr * s.fx.length + mc;
      // each Hermitian pair is computed under the first of the two in row-major order
      const first = Math.min(index, mirror);
      const [fy, fx] = [s.fy[Math.floor(first / s.fx.length)], s.fx[first % s.fx.length]];
      const self = (fy === 0 || fy === -S / 2) && (fx === 0 || fx === -S / 2);
      const amp = self ? 1 / S : Math.SQRT2 / S;
      const signs = new Rng(seedFor(SEED, 'fourier/sign', first));
      const x = new Float32Array(IMAGES * PER);
      for (let n = 0; n < IMAGES; n++) {
        const a = signs.next() < 0.5 ? -EPS : EPS;
        for (let j = 0; j < PER; j++) {
          const v = pixels[n * PER + j] + a * amp * Math.cos(2 * Math.PI * ((fy * Math.floor(j / S) + fx * (j % S)) / S));
          x[n * PER + j] = Math.min(1, Math.max(0, v));
        }
      }
      const scores = await modelFor(first).scores(x, IMAGES);
      let wrong = 0;
      for (let n = 0; n < IMAGES; n++) if (argmax(scores, n, 3) !== labels[n]) wrong++;
      out.push(wrong / IMAGES);
    }
  return out;
}

test('defended maps equal the defended ScoreModels called directly on the perturbed images', async () => {
  const { base, pixels, labels } = await fixture();
  const models = fourierModels(base, p, ['post-averaging', 'low-pass'], CUTOFF, SEED);
  const { section, partial } = await computeFourierHeatmap(
    { pixels, labels, height: S, width: S, channels: 1, epsilon: EPS, maxSide: 32, runSeed: SEED, models },
    {},
  );
  assert.equal(partial, false);
  assert.deepEqual(
    section.maps.map((m) => m.model),
    ['model', 'post-averaging', 'low-pass'],
  );
  const radius = roundTo(radiusHint(PER), 3);
  assert.equal(section.maps[1].defence?.params.radius, radius);
  assert.equal(section.maps[1].defence?.params.K, DEFAULT_K);
  assert.equal(section.maps[1].passes, (section.params.cellsTotal + 1) * IMAGES * (6 * DEFAULT_K + 1));

  const lowPass = new LowPassModel(base, CUTOFF);
  assert.deepEqual(section.maps[2].errorRate, await directMap(section, pixels, labels, () => lowPass));
  assert.deepEqual(section.maps[0].errorRate, await directMap(section, pixels, labels, () => base));
  const postAveraged = (index: number) =>
    new PostAveragedModel(base, {
      K: DEFAULT_K,
      radius,
      sampler: randomDirections(p),
      rng: new Rng(seedFor(SEED, 'fourier/post-averaging', index + 1)),
    });
  assert.deepEqual(section.maps[1].errorRate, await directMap(section, pixels, labels, postAveraged));
  // its clean error: the same model on the clean images with the clean images' seed (key 0)
  const clean = await new PostAveragedModel(base, {
    K: DEFAULT_K,
    radius,
    sampler: randomDirections(p),
    rng: new Rng(seedFor(SEED, 'fourier/post-averaging', 0)),
  }).scores(pixels, IMAGES);
  assert.equal(section.maps[1].cleanError, labels.filter((l, n) => argmax(clean, n, 3) !== l).length / IMAGES);
  // the post-averaged map is one seeded draw: the same seed gives the same map, whatever else is mapped beside it
  const again = await computeFourierHeatmap(
    {
      pixels,
      labels,
      height: S,
      width: S,
      channels: 1,
      epsilon: EPS,
      maxSide: 32,
      runSeed: SEED,
      models: fourierModels(base, p, ['post-averaging'], null, SEED),
    },
    {},
  );
  assert.deepEqual(again.section.maps[1].errorRate, section.maps[1].errorRate);
});

test('the low-pass defended model has its clean error at every frequency its filter removes', async () => {
  const { base, pixels, labels } = await fixture();
  const { section } = await computeFourierHeatmap(
    {
      pixels,
      labels,
      height: S,
      width: S,
      channels: 1,
      epsilon: EPS,
      maxSide: 32,
      runSeed: SEED,
      models: fourierModels(base, p, ['low-pass'], CUTOFF, SEED),
    },
    {},
  );
  const [model, lp] = section.maps;
  let removed = 0;
  section.fy.forEach((fy, r) =>
    section.fx.forEach((fx, c) => {
      if (Math.max(Math.abs(fy), Math.abs(fx)) <= CUTOFF) return;
      removed++;
      assert.equal(lp.errorRate[r * section.fx.length + c], lp.cleanError, `(${fy}, ${fx}) is removed by the filter`);
    }),
  );
  assert.equal(removed, S * S - 9);
  // the undefended model does see those frequencies (else the test would show nothing)
  assert.ok(model.meanError !== null && model.meanError > model.cleanError);
});

test('the defences mapped by default: both up to 64×64, none above (low-pass with a cutoff), the asked ones otherwise', () => {
  assert.deepEqual(fourierDefences(undefined, null, preprocessing(3, 64, 64)), ['post-averaging', 'low-pass']);
  assert.deepEqual(fourierDefences(undefined, null, preprocessing(3, 65, 64)), []);
  assert.deepEqual(fourierDefences(undefined, 8, preprocessing(3, 224, 224)), ['low-pass']);
  assert.deepEqual(fourierDefences(['post-averaging'], null, preprocessing(3, 224, 224)), ['post-averaging']);
  assert.deepEqual(fourierDefences([], 8, preprocessing(1, 28, 28)), []);
});
