import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefenceTally, chooseParameter, correctness, tallyBehind } from '../../../src/engine/defences/tally';
import { nearestUnits } from '../../../src/engine/defences/reluNormals';
import { cutoffGrid } from '../../../src/engine/jobs/analyseJob';

const ref = { label: 'PGD', mode: 'fixed-eps' as const, norm: 'linf' as const, criterion: 'top1' as const, seed: 0 };
const flags = (t1: boolean[], t5?: boolean[]) => ({ top1: t1, top5: t5 ?? t1 });

test('the protocol: Attacked set replaces broken images, defence rate = rescued ÷ #Adv', () => {
  const t = new DefenceTally('top1');
  // 4 images: 0 and 1 broken by the attack, 2 survives it, 3 was misclassified to begin with.
  t.add(flags([true, true, true, false]), flags([true, false, true, false]), [0, 1, -1, -1], flags([false, false]), flags([true, false]));
  const row = t.row(ref);
  assert.equal(row.numAdversarial, 2);
  assert.equal(row.defenceRate, 0.5);
  assert.deepEqual(row.original.clean, { top1: 0.75, top5: 0.75 });
  assert.deepEqual(row.original.attacked, { top1: 0.25, top5: 0.25 });
  assert.deepEqual(row.defended.clean, { top1: 0.5, top5: 0.5 });
  // Defended Attacked set: adversarial 0 rescued, adversarial 1 not, image 2 defended-clean correct, image 3 wrong.
  assert.deepEqual(row.defended.attacked, { top1: 0.5, top5: 0.5 });
  assert.equal(new DefenceTally('top1').defenceRate, null);
});

test('top-5 criterion: a rescue means the label is back in the defended top-5', () => {
  const t = new DefenceTally('top5');
  t.add(flags([true], [true]), flags([true], [true]), [0], flags([false], [false]), flags([false], [true]));
  assert.equal(t.defenceRate, 1);
});

test('correctness reads top-1, top-5 and the top-1 class off score rows', () => {
  const scores = Float32Array.from([0.1, 0.9, 0, 0, 0, 0, 0.5, 0.2, 0.3, 0, 0, 0]);
  assert.deepEqual(correctness(scores, [1, 2]), { top1: [true, false], top5: [true, true], predicted: [1, 0] });
});

test("the tally keeps the defended model's class on each clean image and each adversarial example", () => {
  const t = new DefenceTally('top1');
  const c = (top1: boolean[], predicted: number[]) => ({ top1, top5: top1, predicted });
  // Two images, labels 3 and 4; image 0 broken (example 0, defended back to 3), image 1 not in #Adv.
  t.add(c([true, true], [3, 4]), c([true, false], [3, 7]), [0, -1], c([false], [5]), c([true], [3]));
  assert.deepEqual([t.defendedCleanClass(0), t.defendedCleanClass(1)], [3, 7]);
  assert.deepEqual([t.defendedExampleClass(0), t.defendedExampleClass(1)], [3, -1]);
  assert.equal(t.defendedExampleClass(2), -1, 'past the evaluated images');
  // Past the first 256 images the arrays grow and keep what they held.
  for (let k = 0; k < 200; k++) t.add(c([true, true], [1, 2]), c([true, true], [1, 2]), [-1, -1], c([], []), c([], []));
  assert.equal(t.defendedCleanClass(1), 7);
  assert.equal(t.defendedCleanClass(401), 2);
});

test('the parameter choice keeps the clean drop within tolerance, then maximises the mean defence rate', () => {
  const tally = (cleanOrig: number, cleanDef: number, rescued: number) => {
    const t = new DefenceTally('top1');
    const n = 100;
    for (let i = 0; i < n; i++)
      t.add(flags([i < cleanOrig]), flags([i < cleanDef]), [i < 10 ? 0 : -1], flags([false]), flags([i < rescued]));
    return [t];
  };
  const grid = [1, 2, 3];
  const tallies = [tally(90, 90, 2), tally(90, 89, 6), tally(90, 80, 10)];
  assert.deepEqual(chooseParameter(grid, tallies, 0.01).value, 2);
  assert.deepEqual(chooseParameter(grid, tallies, 0.2).value, 3);
  const none = chooseParameter(grid, [tally(90, 70, 1), tally(90, 80, 1), tally(90, 60, 9)], 0.01);
  assert.equal(none.value, 2);
  assert.match(none.reason, /smallest drop/);
});

test('nearest ReLU units: smallest |a|/ρ across layers, K of them, nearest first', () => {
  const units = nearestUnits(
    [
      { pre: [3, -0.5, 2], rms: 1 },
      { pre: [0.4, -8, 0.1], rms: 0.5 },
      { pre: [1, 1], rms: 0 },
    ],
    3,
  );
  assert.deepEqual(
    units.map((u) => [u.layer, u.unit]),
    [
      [1, 2],
      [0, 1],
      [1, 0],
    ],
  );
  assert.ok(Math.abs(units[0].distance - 0.2) < 1e-12);
});

test("the cutoff grid covers 1…max for small images and ~32 values plus the user's for large ones", () => {
  assert.deepEqual(
    cutoffGrid(14, null, true),
    Array.from({ length: 14 }, (_, i) => i + 1),
  );
  const big = cutoffGrid(112, 50, true);
  assert.equal(big[0], 1);
  assert.equal(big[big.length - 1], 112);
  assert.ok(big.includes(50) && big.length <= 34);
  assert.deepEqual(cutoffGrid(14, 6, false), [6]);
});

test("pass 1's verdict on each image's adversarial example stays readable by image, for pass 2", () => {
  const t = new DefenceTally('top1');
  // Batch 1: image 0 broken and rescued (top-1), image 1 not attacked. Batch 2: image 2 broken, rescued in top-5 only.
  t.add(flags([true, false]), flags([true, false]), [0, -1], flags([false]), flags([true]));
  t.add(flags([true]), flags([true]), [0], flags([false]), flags([false], [true]));
  assert.deepEqual(t.defendedExample(0), { top1: true, top5: true });
  assert.equal(t.defendedExample(1), null);
  assert.deepEqual(t.defendedExample(2), { top1: false, top5: true });
  assert.equal(t.defendedExample(3), null, 'beyond the images seen');
  assert.equal(tallyBehind(t.row(ref)), t);
  const many = new DefenceTally('top1');
  const n = 600;
  many.add(
    flags(new Array(n).fill(true)),
    flags(new Array(n).fill(true)),
    Array.from({ length: n }, (_, i) => i),
    flags(new Array(n).fill(false)),
    flags(Array.from({ length: n }, (_, i) => i % 2 === 0)),
  );
  assert.deepEqual(many.defendedExample(599), { top1: false, top5: false });
  assert.deepEqual(many.defendedExample(598), { top1: true, top5: true });
});

test("a shard's counts added up give the rows and rate of one tally over all the batches (merge)", () => {
  const batches: Parameters<DefenceTally['add']>[] = [
    [flags([true, true, true, false]), flags([true, false, true, false]), [0, 1, -1, -1], flags([false, false]), flags([true, false])],
    [flags([true, false], [true, true]), flags([false, true]), [0, -1], flags([false], [true]), flags([true])],
    [flags([true, true]), flags([true, true]), [-1, 0], flags([false]), flags([false], [true])],
  ];
  const whole = new DefenceTally('top1');
  for (const b of batches) whole.add(...b);
  // shards: batches {0, 2} and {1}
  const shards = [[batches[0], batches[2]], [batches[1]]].map((bs) => {
    const t = new DefenceTally('top1');
    for (const b of bs) t.add(...b);
    return t.counts();
  });
  const merged = new DefenceTally('top1');
  for (const c of shards) merged.addCounts(c);
  assert.deepEqual(merged.row(ref), whole.row(ref));
  assert.equal(merged.defenceRate, whole.defenceRate);
  assert.equal(merged.defendedCleanTop1, whole.defendedCleanTop1);
  // the counts survive JSON (a shard's report)
  assert.deepEqual(JSON.parse(JSON.stringify(shards[0])), shards[0]);
});
