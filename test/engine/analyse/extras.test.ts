/**
 * analyse's rule for the sections it adds when cheap (extras.ts): together at most EXTRA_SHARE of the planned
 * stages' estimate (or what a budget leaves), the heat map at its full grid, else every 2nd, else every 4th
 * frequency, then certification on as many images as fit (at least 10); left out in shards and in defend.
 * The forward passes are checked against closed forms of the Hermitian-pair count: an n × n grid with n even
 * has (n² − 4)/2 + 4 distinct cells (4 self-mirrored), odd n has (n² − 1)/2 + 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXTRA_SHARE, extrasWork, planExtras, type ExtrasInput } from '../../../src/engine/analyse/extras';

const pairs = (n: number) => (n % 2 === 0 ? (n * n - 4) / 2 + 4 : (n * n - 1) / 2 + 1);
// 28×28: every frequency (28 a side); every 2nd: 14 a side (−14 … 12); every 4th: 7 a side (−12 … 12)
const CELLS = { 1: pairs(28), 2: pairs(14), 4: pairs(7) };
const CERTIFY_PER_IMAGE = 100 + 1000 + 1;
/** Seconds the sections may take in a run of 100 s. */
const A = EXTRA_SHARE * 100;

const base: ExtrasInput = {
  runSeconds: 100,
  forwardSeconds: 1e-5,
  images: 100,
  height: 28,
  width: 28,
  budgetLeftSeconds: null,
  shard: false,
  frequencyAnalyses: true,
  modelPath: 'm.onnx',
};
const pick = (x: ExtrasInput) => {
  const [fourier, certify] = planExtras(x);
  assert.equal(fourier.section, 'fourier-heatmap');
  assert.equal(certify.section, 'certification');
  return { fourier, certify };
};

test('cheap: both sections in full, with their forward passes', () => {
  const { fourier, certify } = pick(base);
  assert.equal(fourier.decision, 'included');
  assert.equal(fourier.forward, (CELLS[1] + 1) * 100);
  assert.equal(fourier.stride, 1);
  assert.equal(fourier.reduction, null);
  assert.equal(certify.decision, 'included');
  assert.equal(certify.images, 100);
  assert.equal(certify.forward, CERTIFY_PER_IMAGE * 100);
  assert.ok(fourier.seconds + certify.seconds <= EXTRA_SHARE * base.runSeconds);
  assert.deepEqual(
    extrasWork([fourier, certify]).map((w) => [w.stage, w.images, w.perImage.forward]),
    [
      ['Fourier heat map', 100, CELLS[1] + 1],
      ['certification (randomized smoothing)', 100, CERTIFY_PER_IMAGE],
    ],
  );
});

test('the heat map takes a coarser grid when the full one exceeds the share, and the reduction is recorded', () => {
  // A s allowed; full grid 395·100·f, every 2nd 101·100·f, every 4th 26·100·f
  const f = (A / ((CELLS[1] + 1) * 100)) * 1.33; // the full grid a third over the share
  const { fourier } = pick({ ...base, forwardSeconds: f });
  assert.equal(fourier.decision, 'reduced');
  assert.equal(fourier.stride, 2);
  assert.deepEqual(fourier.reduction, { what: 'Fourier heat map grid stride', from: 1, to: 2 });
  assert.equal(fourier.forward, (CELLS[2] + 1) * 100);
  const every4th = pick({ ...base, forwardSeconds: A / ((CELLS[2] + 1) * 100) / 0.9 });
  assert.equal(every4th.fourier.stride, 4);
  assert.equal(every4th.fourier.forward, (CELLS[4] + 1) * 100);
  const none = pick({ ...base, forwardSeconds: (A / ((CELLS[4] + 1) * 100)) * 1.01 });
  assert.equal(none.fourier.decision, 'left out');
  assert.equal(none.fourier.images, 0);
  assert.match(none.fourier.command, /^robustness-lens fourier-heatmap m\.onnx$/);
  assert.match(none.fourier.reason, new RegExp(`exceeds ${Math.round(100 * EXTRA_SHARE)} % of the run's estimate`));
});

test('certification: the images that fit after the heat map, at least 10, else left out with its command', () => {
  const f = 1e-4;
  const { fourier, certify } = pick({ ...base, forwardSeconds: f });
  // A s: the heat map's full grid costs 395·100·1e-4 = 3.95 s; then ⌊(A − 3.95)/(1101·1e-4)⌋ images
  assert.equal(fourier.decision, 'included');
  const expected = Math.floor((A - (CELLS[1] + 1) * 100 * f) / (CERTIFY_PER_IMAGE * f));
  assert.ok(expected >= 10 && expected < 100);
  assert.equal(certify.decision, 'reduced');
  assert.equal(certify.images, expected);
  assert.deepEqual(certify.reduction, { what: 'certified images', from: 100, to: expected });
  const tooFew = pick({ ...base, forwardSeconds: 1e-3 }).certify;
  assert.equal(tooFew.decision, 'left out');
  assert.equal(tooFew.command, 'robustness-lens certify m.onnx --preset fast --sigma 0.25');
});

test('a budget tighter than the share limits the sections to what it leaves', () => {
  const { fourier, certify } = pick({ ...base, forwardSeconds: 1e-4, budgetLeftSeconds: 2 });
  // 2 s: the full grid (3.95 s) does not fit, every 2nd frequency (1.01 s) does; no 10 images of certification (11 s)
  assert.equal(fourier.stride, 2);
  assert.match(fourier.reason, /what the budget leaves/);
  assert.equal(certify.decision, 'left out');
  assert.equal(pick({ ...base, budgetLeftSeconds: 0 }).fourier.decision, 'left out');
});

test('shards and defend leave both out, saying why', () => {
  for (const x of [
    { ...base, shard: true },
    { ...base, frequencyAnalyses: false },
  ]) {
    const { fourier, certify } = pick(x);
    assert.equal(fourier.decision, 'left out');
    assert.equal(certify.decision, 'left out');
    assert.match(fourier.reason, x.shard ? /shard/ : /defend/);
    assert.deepEqual(extrasWork([fourier, certify]), []);
  }
});

test('whatever the costs, the included sections together stay within the share', () => {
  for (const f of [1e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3])
    for (const images of [5, 50, 500])
      for (const side of [8, 28, 32, 64, 224]) {
        const run = { ...base, forwardSeconds: f, images, height: side, width: side };
        const extras = planExtras(run);
        const spent = extras.filter((e) => e.decision !== 'left out').reduce((s, e) => s + e.seconds, 0);
        assert.ok(spent <= EXTRA_SHARE * run.runSeconds + 1e-9, `f ${f}, ${images} images, ${side}²: ${spent} s`);
      }
});
