/** Model passes per image of an analyse run, against the closed forms of what each attack and stage runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adaptiveAttackPasses,
  analyseWork,
  attackPasses,
  defendedPasses,
  passOneRest,
  DEEPFOOL_TYPICAL_STEPS,
  REATTACKED_SHARE,
  GRADIENT_PASS_WEIGHT,
  passWeight,
} from '../../../src/engine/analyse/passCounts';
import { WorkProgress } from '../../../src/engine/analyse/workProgress';
import type { Progress } from '../../../src/engine/eval/cleanEval';
import { planAnalyse } from '../../../src/engine/analyse/plan';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { ANALYSE_STAGES, stageSeconds, workSeconds } from '../../../src/engine/analyse/stageWork';
import { DEFAULT_K } from '../../../src/engine/defences/postAveraging';
import { preprocessing } from '../defences/linearModel';

const p = preprocessing(1, 28, 28);
const shape = { height: 28, width: 28, numClasses: 10 };
const base: AnalyseOptions = {
  preset: 'fast',
  attacks: null,
  K: DEFAULT_K,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
};
const none = { occludedFrequency: false, rct: false, spectra: false, sweeps: false };
/** Pass 2 re-attacks the examples a defence defended: the bound (all of them) is counted. */
const share = REATTACKED_SHARE;

test('PGD-k costs k gradient passes and one evaluation per restart; minimal ε repeats it per bisection step', () => {
  assert.deepEqual(attackPasses({ name: 'pgd', params: {} }, 10), { gradient: 10, forward: 1 });
  assert.deepEqual(attackPasses({ name: 'pgd', params: { steps: 40, restarts: 3 } }, 10), { gradient: 120, forward: 3 });
  assert.deepEqual(attackPasses({ name: 'pgd', params: { steps: 7, mode: 'minimal-eps', searchSteps: 6 } }, 10), {
    gradient: 7 * 7,
    forward: 7,
  });
});

test('FGSM and FGM: one gradient; fixed ε one evaluation, minimal ε up to the grid', () => {
  assert.deepEqual(attackPasses({ name: 'fgsm', params: {} }, 10), { gradient: 1, forward: 1 });
  assert.deepEqual(attackPasses({ name: 'fgm', params: { mode: 'minimal-eps', gridSize: 25 } }, 10), { gradient: 1, forward: 25 });
});

test('DeepFool: a vjp row per candidate class per step, the typical step count, never more candidates than classes', () => {
  const s = DEEPFOOL_TYPICAL_STEPS;
  assert.deepEqual(attackPasses({ name: 'deepfool', params: {} }, 10), { gradient: s * 10, forward: 1 + s });
  assert.deepEqual(attackPasses({ name: 'deepfool', params: {} }, 3), { gradient: s * 3, forward: 1 + s });
  assert.deepEqual(attackPasses({ name: 'deepfool', params: { steps: 1 } }, 10), { gradient: 10, forward: 2 });
});

test('C&W: steps × search steps gradients; SimBA: forward passes only, its whole query budget (the bound)', () => {
  assert.deepEqual(attackPasses({ name: 'cw', params: { steps: 100, searchSteps: 5 } }, 10), { gradient: 500, forward: 5 });
  assert.deepEqual(attackPasses({ name: 'simba', params: { maxQueries: 5000 } }, 10), {
    gradient: 0,
    forward: 5000,
  });
});

test('APGD-CE: a gradient at the start and per step, per restart; APGD-T: that per target class (at most classes − 1) and the clean pass', () => {
  assert.deepEqual(attackPasses({ name: 'apgd-ce', params: {} }, 10), { gradient: 101, forward: 0 });
  assert.deepEqual(attackPasses({ name: 'apgd-ce', params: { steps: 20, restarts: 3 } }, 10), { gradient: 63, forward: 0 });
  assert.deepEqual(attackPasses({ name: 'apgd-t', params: {} }, 10), { gradient: 9 * 101, forward: 1 });
  assert.deepEqual(attackPasses({ name: 'apgd-t', params: { targets: 9, steps: 10 } }, 5), { gradient: 4 * 11, forward: 1 });
});

test('post-averaging costs 6K+1 forward points per image and configuration; its adaptive PGD-10 an EOT gradient over them', () => {
  const K = 7;
  const opts: AnalyseOptions = {
    ...base,
    attacks: [{ name: 'pgd', params: { steps: 7 } }],
    defences: ['post-averaging'],
    radius: 2,
    K,
    analyses: none,
    adaptiveImages: 20,
  };
  const work = analyseWork(planAnalyse(opts, p, 100), shape, K);
  const points = 6 * K + 1;
  assert.deepEqual(work[0], { stage: ANALYSE_STAGES.clean, images: 100, perImage: { forward: 1, gradient: 0 } });
  // scores + PGD (7 gradients, 1 evaluation) + the defence on the clean image and the example: 2 rows × 1 radius × points.
  assert.deepEqual(work[1], { stage: ANALYSE_STAGES.passOne, images: 100, perImage: { forward: 1 + 1 + 2 * points, gradient: 7 } });
  // Part 1: scores, plain pass, the defence on the clean image. Part 2: scores, the suite again, PGD-10 EOT, PGD's
  // final evaluation and the verdict (each through the defence).
  assert.deepEqual(work[2], { stage: ANALYSE_STAGES.passTwoSweep, images: 20, perImage: { forward: 2 + points, gradient: 0 } });
  assert.deepEqual(work[3], {
    stage: ANALYSE_STAGES.passTwoAdaptive,
    images: 20,
    perImage: { forward: 1 + 1 + share * 2 * points, gradient: 7 + share * 10 * points },
  });
  // Once pass 1 is over, its exact share of re-attacked examples replaces the bound (the re-plan's count).
  const known = analyseWork(planAnalyse(opts, p, 100), shape, K, 1, undefined, { 'post-averaging': 0.25 });
  assert.deepEqual(known[3].perImage, { forward: 1 + 1 + 0.25 * 2 * points, gradient: 7 + 0.25 * 10 * points });
  assert.deepEqual(known.slice(0, 3), work.slice(0, 3), 'only the re-attacks change');
  // Pass 2 replays pass 1's batches whole: 20 adaptive images at batch 8 replay 24 images (the suite on each),
  // the re-attacks stay those of the 20.
  const batched = analyseWork(planAnalyse(opts, p, 100), { ...shape, batchSize: 8 }, K)[3];
  assert.equal(batched.images, 24);
  const total = (w: typeof batched) => ({ forward: w.images * w.perImage.forward, gradient: w.images * w.perImage.gradient });
  const perImage = { forward: 1 + 1, gradient: 7 };
  const reattacks = (w: typeof batched) => ({
    forward: total(w).forward - w.images * perImage.forward,
    gradient: total(w).gradient - w.images * perImage.gradient,
  });
  const close = (a: { forward: number; gradient: number }, b: { forward: number; gradient: number }) =>
    Math.abs(a.forward - b.forward) < 1e-6 && Math.abs(a.gradient - b.gradient) < 1e-6;
  assert.ok(close(reattacks(batched), reattacks(work[3])));
  assert.equal(analyseWork(planAnalyse(opts, p, 100), { ...shape, batchSize: 64 }, K)[3].images, 64);
  assert.equal(analyseWork(planAnalyse(opts, p, 30), { ...shape, batchSize: 64 }, K)[3].images, 30, 'never more than the images');
});

test('low-pass costs one pass per cutoff and row; Occluded Frequency one per band on its images; the ε sweep PGD-10 per ε', () => {
  const opts: AnalyseOptions = {
    ...base,
    attacks: [{ name: 'fgsm', params: {} }],
    defences: ['low-pass'],
    cutoff: 8,
    analyses: { ...none, occludedFrequency: true, sweeps: true },
    ofImages: 25,
    adaptiveImages: 10,
    epsilons: [1 / 255, 2 / 255, 4 / 255],
  };
  const plan = planAnalyse(opts, p, 100);
  const cutoffs = plan.stages.find((s) => s.stage === 'defences')!.sizes['low-pass/cutoffs'];
  const work = analyseWork(plan, shape, DEFAULT_K);
  // scores + FGSM (1 gradient, 1 evaluation) + 2 rows × cutoffs + 28 bands on a quarter of the images.
  assert.deepEqual(work[1].perImage, { forward: 1 + 1 + 2 * cutoffs + (25 / 100) * 28, gradient: 1 });
  // Part 1: scores, plain pass, the defence on the clean image and on each ε's example; PGD-10 at each ε.
  const sweeps = 3;
  assert.deepEqual(work[2], {
    stage: ANALYSE_STAGES.passTwoSweep,
    images: 10,
    perImage: { forward: 2 + (1 + sweeps) + sweeps, gradient: 10 * sweeps },
  });
  // Part 2: scores, FGSM again; PGD-10 through the filter, its final evaluation and the verdict on the defended share.
  assert.deepEqual(work[3], {
    stage: ANALYSE_STAGES.passTwoAdaptive,
    images: 10,
    perImage: { forward: 1 + 1 + share * 2, gradient: 1 + share * 10 },
  });
});

test('attacks run on correctly classified images only: the expected accuracy scales attacks, defence rows and pass 2', () => {
  const K = 7;
  const opts: AnalyseOptions = {
    ...base,
    attacks: [{ name: 'pgd', params: { steps: 7 } }],
    defences: ['post-averaging'],
    radius: 2,
    K,
    analyses: none,
    adaptiveImages: 20,
  };
  const points = 6 * K + 1;
  const work = analyseWork(planAnalyse(opts, p, 100), shape, K, 0.5);
  // Half the images are attacked: half a PGD each, and 1 + 0.5 rows through the defence.
  assert.deepEqual(work[1].perImage, { forward: 1 + 0.5 + 1.5 * points, gradient: 3.5 });
  // 20 adaptive images among the first 40, which are read again (replayed): the re-attacks spread over the 40.
  assert.deepEqual(work[2], { stage: ANALYSE_STAGES.passTwoSweep, images: 20, perImage: { forward: 2 + points, gradient: 0 } });
  assert.deepEqual(work[3], {
    stage: ANALYSE_STAGES.passTwoAdaptive,
    images: 40,
    perImage: { forward: 1 + 0.5 + (share * 2 * points * 20) / 40, gradient: 3.5 + (share * 10 * points * 20) / 40 },
  });
  // With no image classified correctly nothing is attacked and there is no pass 2.
  const none0 = analyseWork(planAnalyse(opts, p, 100), shape, K, 0);
  assert.equal(none0.length, 2);
  assert.deepEqual(none0[1].perImage, { forward: 1 + points, gradient: 0 });
});

test('without defences there is no pass 2; the full preset costs more than the fast one; seconds are counts × costs', () => {
  const noDefence = analyseWork(planAnalyse({ ...base, defences: [] }, p, 50), shape, DEFAULT_K);
  assert.deepEqual(
    noDefence.map((w) => w.stage),
    [ANALYSE_STAGES.clean, ANALYSE_STAGES.passOne],
  );
  const cost = { forwardSeconds: 0.001, gradientSeconds: 0.003 };
  const fast = workSeconds(analyseWork(planAnalyse(base, p, 100), shape, DEFAULT_K), cost);
  const full = workSeconds(analyseWork(planAnalyse({ ...base, preset: 'full' }, p, 100), shape, DEFAULT_K), cost);
  assert.ok(full > fast, `full ${full} s vs fast ${fast} s`);
  assert.ok(Math.abs(stageSeconds({ stage: 's', images: 10, perImage: { forward: 2, gradient: 3 } }, cost) - 0.11) < 1e-12);
});

test("a stage's progress follows its work: PGD-10 through post-averaging's 6K+1 points outweighs the replayed attacks", () => {
  const K = 15;
  const replayed = attackPasses({ name: 'pgd', params: {} }, 10);
  const adaptive = adaptiveAttackPasses('post-averaging', K);
  assert.equal(passWeight(replayed), 1 + GRADIENT_PASS_WEIGHT * 10);
  // Ten EOT steps, PGD's final evaluation through the defence and the verdict on the kept example.
  assert.equal(passWeight(adaptive), 2 * (6 * K + 1) + GRADIENT_PASS_WEIGHT * 10 * (6 * K + 1));
  assert.deepEqual(adaptiveAttackPasses('low-pass', K), { forward: 2, gradient: 10 });

  // Two batches of 4 images: the first replays PGD on 4 and re-attacks 2 examples, the second only replays.
  const sent: Progress[] = [];
  const first = { forward: replayed.forward * 4 + adaptive.forward * 2, gradient: replayed.gradient * 4 + adaptive.gradient * 2 };
  const second = { forward: replayed.forward * 4, gradient: replayed.gradient * 4 };
  const expected = { forward: first.forward + second.forward, gradient: first.gradient + second.gradient };
  const w = new WorkProgress((p) => sent.push(p), 'adaptive attacks', 8, expected);
  w.startBatch(0, 4, first);
  w.advance({ forward: replayed.forward * 4, gradient: replayed.gradient * 4 });
  const afterReplay = sent.at(-1)!;
  w.advance({ forward: adaptive.forward * 2, gradient: adaptive.gradient * 2 });
  const afterAdaptive = sent.at(-1)!;
  w.endBatch();
  const afterFirst = sent.at(-1)!;
  w.startBatch(4, 4, second);
  w.advance(second);
  w.endBatch();
  const share = (x: { forward: number; gradient: number }) => passWeight(x) / passWeight(expected);
  assert.deepEqual(sent[0], { stage: 'adaptive attacks', done: 0, total: 8, fraction: 0, expected });
  // The replayed attack is a sliver of the batch's work: the images shown barely move, nor does the share.
  assert.equal(afterReplay.done, 0);
  assert.ok(Math.abs(afterReplay.fraction! - share({ forward: replayed.forward * 4, gradient: replayed.gradient * 4 })) < 1e-12);
  assert.equal(afterAdaptive.done, 4);
  assert.ok(Math.abs(afterFirst.fraction! - share(first)) < 1e-12);
  assert.ok(afterFirst.fraction! > 0.95, `the first batch holds nearly all the work (${afterFirst.fraction})`);
  assert.deepEqual(sent.at(-1), { stage: 'adaptive attacks', done: 8, total: 8, fraction: 1, expected });
  for (const p of sent) assert.deepEqual(p.expected, expected, 'every message carries the expected passes (a throttle may drop the first)');
});

test("defended passes are counted at the probe's factors: post-averaging's points and EOT points, low-pass rows", () => {
  const f = { postAveragingForward: 1.25, postAveragingGradient: 1.5, lowPassForward: 3 };
  const K = 7;
  const P = 6 * K + 1;
  assert.deepEqual(defendedPasses('post-averaging', K, undefined, f), {
    classify: { forward: 1.25 * P, gradient: 0 },
    gradient: { forward: 0, gradient: 1.5 * P },
  });
  assert.deepEqual(defendedPasses('low-pass', K, undefined, f), {
    classify: { forward: 3, gradient: 0 },
    gradient: { forward: 0, gradient: 1 },
  });
  const opts: AnalyseOptions = {
    ...base,
    attacks: [{ name: 'fgsm', params: {} }],
    defences: ['post-averaging', 'low-pass'],
    radius: 2,
    cutoff: 8,
    K,
    analyses: none,
  };
  const plan = planAnalyse(opts, p, 10);
  const plain = passOneRest(plan, shape, 1);
  const priced = passOneRest(plan, shape, 1, f);
  const cutoffs = plan.stages.find((s) => s.stage === 'defences')!.sizes['low-pass/cutoffs'];
  // Two rows (the clean image and the example) through one radius's P points and every cutoff.
  assert.equal(plain.forward, 2 * P + 2 * cutoffs);
  assert.equal(priced.forward, 2 * 1.25 * P + 2 * 3 * cutoffs);
});
