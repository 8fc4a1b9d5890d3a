/**
 * Occluded Frequency's band group size in the plan and the budget planner, on synthetic probe costs (a fake
 * probe, as budget.test.ts): the default follows the rule ⌈bands/64⌉ (1 up to 64×64, 4 for 224×224); the OF
 * passes the estimate counts are ⌈bands/g⌉ per explained image (closed form); a tight budget doubles g (to at
 * most OF_GROUPS_FLOOR groups) before it cuts OF images; a user's g is kept; the run plan's line names g.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EOT_FLOOR, estimateRun, OF_GROUPS_FLOOR, planBudget, type BudgetProblem } from '../../../src/engine/analyse/budget';
import { analyseWork } from '../../../src/engine/analyse/passCounts';
import { planAnalyse } from '../../../src/engine/analyse/plan';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { ANALYSE_STAGES } from '../../../src/engine/analyse/stageWork';
import { pointsPerImage } from '../../../src/engine/defences/postAveraging';
import { runPlanLines } from '../../../src/protocol/runPlan';
import type { RunPlanSection } from '../../../src/engine/report/sections';
import { preprocessing } from '../defences/linearModel';

const p224 = preprocessing(3, 224, 224);
const shape = { height: 224, width: 224, numClasses: 1000 };
const K = 15;
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: null,
  K,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
  eotSamples: pointsPerImage(K),
};
const costs = { forwardSeconds: 0.04, gradientSeconds: 0.12 };
const problem = (seconds: number, o: AnalyseOptions = opts): BudgetProblem => ({
  opts: o,
  preprocessing: p224,
  images: 100,
  shape,
  accuracy: 1,
  costs,
  seconds,
});

test('the plan picks g by the rule: 1 up to 64×64, ⌈bands/64⌉ above (4 for 224×224); a given g is kept, capped at the band count', () => {
  assert.equal(planAnalyse(opts, preprocessing(1, 28, 28), 10).ofBandGroup, 1);
  assert.equal(planAnalyse(opts, preprocessing(3, 64, 64), 10).ofBandGroup, 1);
  assert.equal(planAnalyse(opts, preprocessing(3, 96, 96), 10).ofBandGroup, Math.ceil(96 / 64));
  assert.equal(planAnalyse(opts, p224, 10).ofBandGroup, 4);
  assert.equal(planAnalyse({ ...opts, ofBandGroup: 7 }, p224, 10).ofBandGroup, 7);
  assert.equal(planAnalyse({ ...opts, ofBandGroup: 1000 }, p224, 10).ofBandGroup, 224);
});

test('pass 1 counts ⌈bands/g⌉ OF forward passes per explained image', () => {
  const passOne = (g: number) => {
    const plan = planAnalyse({ ...opts, ofBandGroup: g }, p224, 100);
    const w = analyseWork(plan, shape, K, 1).find((x) => x.stage === ANALYSE_STAGES.passOne)!;
    return { forward: w.images * w.perImage.forward, ofImages: plan.stages.find((s) => s.stage === 'occludedFrequency')!.sizes.images };
  };
  const one = passOne(1);
  for (const g of [2, 4, 7, 224]) {
    const d = one.forward - passOne(g).forward;
    const expected = one.ofImages * (224 - Math.ceil(224 / g));
    assert.ok(Math.abs(d - expected) < 1e-6 * expected, `g ${g}: ${d} vs ${expected}`);
  }
});

test('a tight budget doubles the band group before it cuts OF images, recorded as passes per image', () => {
  // Just fits once the EOT samples are at their floor and g is doubled once (4 → 8: 56 → 28 passes).
  const target = estimateRun({ ...opts, eotSamples: EOT_FLOOR, ofBandGroup: 8 }, problem(0), 100).seconds;
  const r = planBudget(problem(target * 1.000001));
  assert.ok(r.fits);
  assert.deepEqual(
    r.reductions.map((x) => x.kind),
    ['eot-samples', 'of-band-group'],
  );
  assert.deepEqual(r.reductions[1], { kind: 'of-band-group', what: 'Occluded Frequency passes per image (band groups)', from: 56, to: 28 });
  assert.equal(r.opts.ofBandGroup, 8);
  // Tighter budgets: OF images are cut only with g at its largest (OF_GROUPS_FLOOR groups of ⌈224/8⌉ = 28 bands).
  let cut = 0;
  for (const share of [0.5, 0.2, 0.05, 0.01]) {
    const full = estimateRun(opts, problem(0), 100).seconds;
    const t = planBudget(problem(full * share));
    if (t.reductions.some((x) => x.kind === 'of-images')) {
      const g = planAnalyse(t.opts, p224, t.images).ofBandGroup;
      assert.equal(g, Math.ceil(224 / OF_GROUPS_FLOOR), `share ${share}`);
      assert.equal(t.reductions.find((x) => x.kind === 'of-band-group')!.to, OF_GROUPS_FLOOR);
      cut++;
    }
  }
  assert.ok(cut > 0, 'some budget cut OF images');
});

test("a user's band group is kept under a tight budget (OF images are cut instead)", () => {
  const o = { ...opts, ofBandGroup: 2 };
  const full = estimateRun(o, problem(0, o), 100).seconds;
  const r = planBudget(problem(full * 0.3, o));
  assert.ok(r.reductions.length > 0 && !r.reductions.some((x) => x.kind === 'of-band-group'));
  assert.equal(r.opts.ofBandGroup, 2);
});

test("the run plan's OF line names the band group, its passes and who chose it", () => {
  const section: RunPlanSection = {
    kind: 'run-plan',
    budgetSeconds: null,
    probe: { images: 8, accuracy: 1, forwardSeconds: 0.04, gradientSeconds: 0.12, elapsedSeconds: 3 },
    eot: { samples: 7, points: 91, chosenBy: 'model cost' },
    occludedFrequency: { images: 32, bands: 224, bandGroup: 4, passesPerImage: 56, chosenBy: 'image size' },
    images: { available: 100, planned: 100 },
    stages: [],
    estimateSeconds: 10,
    reductions: [],
    fits: true,
    stopped: null,
  };
  const line = runPlanLines(section).find((l) => l.trimStart().startsWith('OF'));
  assert.equal(line, '  OF       32 image(s) × 56 passes: 224 DCT bands in groups of 4 (chosen by image size)');
  const single = runPlanLines({
    ...section,
    occludedFrequency: { images: 2, bands: 28, bandGroup: 1, passesPerImage: 28, chosenBy: 'image size' },
  });
  assert.ok(single.includes('  OF       2 image(s) × 28 passes: 28 DCT bands, one at a time (chosen by image size)'));
});
