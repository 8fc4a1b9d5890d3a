/**
 * The budget planner on synthetic probe costs: its estimates are passCounts.ts's work priced at those costs
 * (closed form), the chosen plan fits, reductions come in the stated order (each at its floor before the
 * next starts), nothing is reduced when the budget is ample, and the default EOT samples follow the model's cost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultEotSamples,
  EOT_DEFAULT_FLOOR,
  EOT_FLOOR,
  EOT_STEP_SECONDS,
  estimateRun,
  halveSteps,
  IMAGE_FLOOR,
  ADAPTIVE_IMAGES_FLOOR,
  minimumSeconds,
  OF_FLOOR,
  planBudget,
  REDUCTION_ORDER,
  resolveEotSamples,
  type BudgetProblem,
} from '../../../src/engine/analyse/budget';
import { analyseWork, REATTACKED_SHARE } from '../../../src/engine/analyse/passCounts';
import { planAnalyse } from '../../../src/engine/analyse/plan';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { ANALYSE_STAGES, workSeconds } from '../../../src/engine/analyse/stageWork';
import { ADAPTIVE_STEPS } from '../../../src/engine/defences/adaptive';
import { pointsPerImage } from '../../../src/engine/defences/postAveraging';
import { isEngineError } from '../../../src/engine/errors';
import { preprocessing } from '../defences/linearModel';

const p = preprocessing(3, 224, 224);
const shape = { height: 224, width: 224, numClasses: 1000 };
const K = 15;
const P = pointsPerImage(K);
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: null,
  K,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
  eotSamples: P,
};
/** A 224×224 model on two cores, roughly: 40 ms a forward pass, 120 ms a gradient pass per image. */
const costs = { forwardSeconds: 0.04, gradientSeconds: 0.12 };
const problem = (seconds: number, images = 100): BudgetProblem => ({
  opts,
  preprocessing: p,
  images,
  shape,
  accuracy: 1,
  costs,
  seconds,
});
const full = workSeconds(analyseWork(planAnalyse(opts, p, 100), shape, K, 1), costs);

test("the estimate is passCounts' work at the probe's costs", () => {
  const e = estimateRun(opts, problem(0), 100);
  const w = analyseWork(planAnalyse(opts, p, 100), shape, K, 1);
  const byHand = w.reduce((s, x) => s + x.images * (x.perImage.forward * 0.04 + x.perImage.gradient * 0.12), 0);
  assert.ok(Math.abs(e.seconds - byHand) < 1e-9 * byHand);
});

test('EOT samples enter the adaptive stage linearly: each point less saves one gradient per step, attack and re-attacked example', () => {
  const a = estimateRun(opts, problem(0), 100);
  const b = estimateRun({ ...opts, eotSamples: 4 }, problem(0), 100);
  const adaptive = (r: typeof a) => r.work.find((w) => w.stage === ANALYSE_STAGES.passTwoAdaptive)!;
  const n2 = a.plan.stages.find((s) => s.stage === 'adaptive')!.sizes.images;
  const attacks = a.plan.attacks.length;
  // Per adaptive image: (P − 4) fewer gradients per step, ADAPTIVE_STEPS steps, every attack, every re-attacked example.
  const saved = n2 * attacks * ADAPTIVE_STEPS * REATTACKED_SHARE * (P - 4);
  const gradients = (r: typeof a) => adaptive(r).images * adaptive(r).perImage.gradient;
  assert.ok(Math.abs(gradients(a) - gradients(b) - saved) < 1e-6 * saved);
  assert.equal(b.plan.eotSamples, 4);
});

test('an ample budget reduces nothing and keeps the options', () => {
  const r = planBudget(problem(full * 1.01));
  assert.deepEqual(r.reductions, []);
  assert.equal(r.images, 100);
  assert.deepEqual(r.opts, opts);
  assert.ok(r.fits && Math.abs(r.estimateSeconds - full) < 1e-9 * full);
});

test('every plan fits its budget down to the floors, with reductions in the stated order, each at its floor before the next', () => {
  let previous = -1;
  // Every reduction at its floor: below this estimate no plan fits.
  const floor = planBudget(problem(minimumSeconds(100, costs) * 1.01)).estimateSeconds;
  assert.ok(floor < full * 0.05);
  for (const share of [0.9, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.004, 0.001]) {
    const budget = full * share;
    const r = planBudget(problem(budget));
    if (budget >= floor) {
      assert.ok(r.fits, `share ${share}: fits`);
      assert.ok(r.estimateSeconds <= budget, `share ${share}: ${r.estimateSeconds} ≤ ${budget}`);
    } else {
      assert.ok(!r.fits && r.images === IMAGE_FLOOR && Math.abs(r.estimateSeconds - floor) < 1e-9 * floor, `share ${share}: at the floors`);
    }
    // The estimate is the chosen options' own, recomputed independently.
    assert.ok(Math.abs(estimateRun(r.opts, problem(0), r.images).seconds - r.estimateSeconds) < 1e-9 * budget);
    const order = r.reductions.map((x) => REDUCTION_ORDER.indexOf(x.kind));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `share ${share}: in order`,
    );
    assert.ok(r.reductions.every((x) => x.to < x.from));
    const plan = planAnalyse(r.opts, p, r.images);
    const kinds = new Set(r.reductions.map((x) => x.kind));
    const later = (k: string) => r.reductions.some((x) => REDUCTION_ORDER.indexOf(x.kind) > REDUCTION_ORDER.indexOf(k as never));
    if (later('eot-samples')) assert.equal(plan.eotSamples, EOT_FLOOR);
    if (later('of-images')) assert.equal(plan.ofImages, OF_FLOOR);
    if (later('sweep-grid')) assert.equal(plan.epsGrid.length, 2);
    if (later('defence-grid') && kinds.has('defence-grid')) assert.equal(r.opts.defenceGrid, 'minimal');
    if (kinds.has('images')) assert.ok(r.images >= IMAGE_FLOOR && r.images < 100);
    if (kinds.has('adaptive-images')) assert.ok(r.images === IMAGE_FLOOR && plan.adaptiveImages >= ADAPTIVE_IMAGES_FLOOR);
    // Smaller budgets never reduce less.
    assert.ok(r.reductions.length >= previous);
    previous = r.reductions.length;
  }
  // The smallest budgets reach the image count; the ordered kinds all appear on the way.
  assert.deepEqual(
    planBudget(problem(floor)).reductions.map((x) => x.kind),
    [...REDUCTION_ORDER],
  );
});

test('the sweep-grid reduction keeps the suite ε (8/255) and the largest ε of the sweep', () => {
  const r = planBudget(problem(full * 0.05));
  const grid = r.reductions.find((x) => x.kind === 'sweep-grid');
  assert.ok(grid);
  assert.deepEqual(r.opts.epsilons, [8 / 255, 16 / 255]);
});

test('a budget below the clean pass of the fewest images is refused, saying the minimum', () => {
  const least = minimumSeconds(100, costs);
  assert.equal(least, IMAGE_FLOOR * costs.forwardSeconds);
  assert.throws(
    () => planBudget(problem(least / 2)),
    (e: unknown) => isEngineError(e) && e.code === 'USAGE' && e.message.includes(least.toFixed(1)),
  );
  // At floors the plan may still exceed a budget just above the minimum: it says so (the run then stops at the budget).
  const r = planBudget(problem(least * 1.01));
  assert.equal(r.fits, r.estimateSeconds <= least * 1.01);
  assert.equal(r.images, IMAGE_FLOOR);
});

test('default EOT samples: all points for a cheap model, as many as fit a second of gradient per step otherwise', () => {
  assert.equal(defaultEotSamples(K, null), P);
  assert.equal(defaultEotSamples(K, 0.001), P);
  assert.equal(defaultEotSamples(K, EOT_STEP_SECONDS / P), P);
  assert.equal(defaultEotSamples(K, 0.1), Math.floor(EOT_STEP_SECONDS / 0.1));
  assert.equal(defaultEotSamples(K, 2), EOT_DEFAULT_FLOOR);
  // The user's value wins, capped at 6K+1.
  assert.equal(resolveEotSamples({ K, eotSamples: 9 }, 2), 9);
  assert.equal(resolveEotSamples({ K: 1, eotSamples: 50 }, 0.001), 7);
});

test('halving steps and query budgets keeps other parameters and stops at the floors', () => {
  assert.deepEqual(halveSteps({ name: 'pgd', params: { eps: 0.03 } }), { name: 'pgd', params: { eps: 0.03, steps: 5 } });
  assert.deepEqual(halveSteps({ name: 'pgd', params: { steps: 5 } }), { name: 'pgd', params: { steps: 5 } });
  assert.deepEqual(halveSteps({ name: 'square', params: { maxQueries: 150 } }), { name: 'square', params: { maxQueries: 100 } });
  assert.deepEqual(halveSteps({ name: 'fgsm', params: {} }), { name: 'fgsm', params: {} });
});
