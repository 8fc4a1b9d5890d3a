/**
 * The re-plan after pass 1 on synthetic costs: pass 2's estimate is passCounts.ts' work at the probe's costs
 * (closed form against analyseWork), nothing changes while pass 2 and the extras fit at pass 1's pace, and when
 * they do not the adaptive images are cut to the most that fit (a brute-force search agrees), never below one;
 * with room, what the budget took is given back (adaptive images, then EOT samples); pass 1's exact re-attack
 * share and its measured attack seconds (the replay's) price pass 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pacedPassTwoSeconds, passOnePace, passTwoSeconds, replanPassTwo, type ReplanInput } from '../../../src/engine/analyse/replan';
import { analyseWork, suitePasses } from '../../../src/engine/analyse/passCounts';
import { planAnalyse } from '../../../src/engine/analyse/plan';
import type { AnalyseOptions } from '../../../src/engine/analyse/options';
import { ANALYSE_STAGES, stageSeconds } from '../../../src/engine/analyse/stageWork';
import { preprocessing } from '../defences/linearModel';

const p = preprocessing(3, 224, 224);
const shape = { height: 224, width: 224, numClasses: 1000 };
const opts: AnalyseOptions = {
  preset: 'fast',
  attacks: null,
  K: 15,
  radius: null,
  directions: 'random',
  cutoff: null,
  epsilons: null,
  outDir: null,
  eotSamples: 8,
  adaptiveImages: 20,
};
const costs = { forwardSeconds: 0.01, gradientSeconds: 0.03 };
const input = (x: Partial<ReplanInput>): ReplanInput => ({
  opts,
  preprocessing: p,
  images: 40,
  correct: 30,
  shape,
  costs,
  factors: { postAveragingForward: 1.2, postAveragingGradient: 1.1, lowPassForward: 2 },
  passOneEstimate: 100,
  passOneSeconds: 100,
  extrasSeconds: 10,
  leftSeconds: 1e6,
  atSeconds: 120,
  ...x,
});

test("pass 2's estimate is the plan's pass-2 stages at the probe's costs, with the run's clean accuracy", () => {
  const x = input({});
  for (const n of [1, 7, 20]) {
    const work = analyseWork(planAnalyse({ ...opts, adaptiveImages: n }, p, 40), shape, 15, 30 / 40, x.factors);
    const expected = work
      .filter((w) => w.stage === ANALYSE_STAGES.passTwoSweep || w.stage === ANALYSE_STAGES.passTwoAdaptive)
      .reduce((s, w) => s + stageSeconds(w, costs), 0);
    assert.ok(expected > 0);
    assert.equal(passTwoSeconds(x, n), expected);
  }
  assert.ok(passTwoSeconds(x, 5) < passTwoSeconds(x, 10), 'fewer adaptive images cost less');
});

test("pass 1's pace is its seconds over its estimate, never below 1", () => {
  assert.equal(passOnePace(100, 150), 1.5);
  assert.equal(passOnePace(100, 60), 1);
  assert.equal(passOnePace(0, 60), 1);
});

test('nothing changes while pass 2 and the extras fit at pass 1 pace', () => {
  assert.equal(replanPassTwo(input({})), null);
  const x = input({ passOneSeconds: 150 });
  const need = 1.5 * (passTwoSeconds(x, 20) + 10);
  assert.equal(replanPassTwo({ ...x, leftSeconds: need + 1e-6 }), null);
  assert.ok(replanPassTwo({ ...x, leftSeconds: need - 1 }));
});

test('when they do not fit, the adaptive images are cut to the most that fit (brute force agrees), and it is recorded', () => {
  for (const [seconds, share] of [
    [100, 0.8],
    [150, 0.5],
    [200, 0.2],
  ]) {
    const pace = passOnePace(100, seconds);
    const left = share * pace * (passTwoSeconds(input({}), 20) + 10);
    const x = input({ passOneSeconds: seconds, leftSeconds: left });
    let best = 1;
    for (let n = 1; n <= 20; n++) if (pace * (passTwoSeconds(x, n) + 10) <= left) best = n;
    const r = replanPassTwo(x);
    assert.ok(r, `${seconds} s, ${left} s left`);
    assert.deepEqual(r.adaptiveImages, { from: 20, to: best });
    assert.equal(r.pace, pace);
    assert.equal(r.atSeconds, 120);
    assert.ok(Math.abs(r.estimateSeconds - (120 + pace * (passTwoSeconds(x, best) + 10))) < 1e-9);
    assert.match(r.note, new RegExp(`on ${best} of 20 adaptive images`));
  }
});

test('never below one image; the note says when even that may not fit; the planned count is at most the correct images', () => {
  const r = replanPassTwo(input({ passOneSeconds: 300, leftSeconds: 5 }));
  assert.ok(r);
  assert.equal(r.adaptiveImages.to, 1);
  assert.match(r.note, /the budget may stop them/);
  const few = replanPassTwo(input({ correct: 6, passOneSeconds: 300, leftSeconds: 5 }));
  assert.equal(few?.adaptiveImages.from, 6);
  assert.equal(replanPassTwo(input({ correct: 1, passOneSeconds: 300, leftSeconds: 5 })), null, 'one image: nothing to cut');
});

test("pass 1's exact re-attack share prices pass 2: fewer examples re-attacked, less to do", () => {
  const bound = input({});
  const half = input({ reattacked: () => ({ 'post-averaging': 0.5, 'low-pass': 0.5 }) });
  const none = input({ reattacked: () => ({ 'post-averaging': 0, 'low-pass': 0 }) });
  assert.ok(passTwoSeconds(none, 20) < passTwoSeconds(half, 20) && passTwoSeconds(half, 20) < passTwoSeconds(bound, 20));
  // All of them is the bound itself.
  const all = input({ reattacked: () => ({ 'post-averaging': 1, 'low-pass': 1 }) });
  assert.equal(passTwoSeconds(all, 20), passTwoSeconds(bound, 20));
  // A planned defence pass 1 did not choose has no share: nothing is re-attacked through it (not the bound).
  const onlyOne = input({ reattacked: () => ({ 'post-averaging': 1 }) });
  assert.equal(passTwoSeconds(onlyOne, 20), passTwoSeconds(input({ reattacked: () => ({ 'post-averaging': 1, 'low-pass': 0 }) }), 20));
  assert.ok(passTwoSeconds(onlyOne, 20) < passTwoSeconds(bound, 20));
  // The share is asked for the adaptive images pass 2 would take (never more than the correct ones).
  const asked: number[] = [];
  passTwoSeconds(input({ reattacked: (n) => (asked.push(n), {}) }), 50);
  assert.deepEqual(asked, [30]);
});

test('with room, the budget gives back the adaptive images, then the EOT samples, the most that fit (brute force agrees)', () => {
  const unreduced = { adaptiveImages: 32, eotSamples: 91 };
  const cost = (x: ReplanInput, n: number, e: number) => passTwoSeconds(x, n, e) + 10;
  for (const extra of [0.3, 0.8, 1.5]) {
    const base = input({ unreduced });
    // Room for the planned pass 2 and `extra` of it again.
    const x = { ...base, leftSeconds: (1 + extra) * cost(base, 20, 8) };
    let n = 20;
    for (let m = 20; m <= 30; m++) if (cost(x, m, 8) <= x.leftSeconds) n = m;
    let e = 8;
    if (n === 30) for (let v = 8; v <= 91; v++) if (cost(x, 30, v) <= x.leftSeconds) e = v;
    const r = replanPassTwo(x);
    assert.ok(r, `room ${extra}`);
    assert.deepEqual(r.adaptiveImages, { from: 20, to: n }, 'adaptive images up to the correct ones (30), not the unbudgeted 32');
    assert.deepEqual(r.eotSamples, e === 8 ? undefined : { from: 8, to: e });
    assert.ok(r.estimateSeconds - 120 <= x.leftSeconds + 1e-9);
    assert.match(r.note, /gives back adaptive images 20 → \d+ \(of 30 without the budget\)/);
  }
  // Without anything the budget took there is nothing to give back.
  assert.equal(replanPassTwo(input({ unreduced: { adaptiveImages: 20, eotSamples: 8 } })), null);
  assert.equal(replanPassTwo(input({})), null);
  // At pass 1's pace: a slow pass 1 leaves less room.
  const fast = replanPassTwo(input({ unreduced, leftSeconds: 1.5 * (passTwoSeconds(input({}), 20) + 10) }));
  const slow = replanPassTwo(input({ unreduced, passOneSeconds: 130, leftSeconds: 1.5 * (passTwoSeconds(input({}), 20) + 10) }));
  assert.ok(fast && slow && slow.adaptiveImages.to <= fast.adaptiveImages.to && (slow.eotSamples?.to ?? 8) <= (fast.eotSamples?.to ?? 8));
});

test("pass 1's verdicts can make room: the bound does not fit, the exact share does, and the note says how many are re-attacked", () => {
  const unreduced = { adaptiveImages: 32, eotSamples: 91 };
  const left = passTwoSeconds(input({}), 20) + 10 - 1;
  assert.equal(replanPassTwo(input({ leftSeconds: left }))?.adaptiveImages.to, 19, 'the bound: cut');
  const r = replanPassTwo(input({ leftSeconds: left, unreduced, reattacked: () => ({ 'post-averaging': 0.25, 'low-pass': 0.25 }) }));
  assert.ok(r && r.adaptiveImages.to > 20, 'a quarter re-attacked: room to give back');
  assert.match(r.note, /25 % of the examples to re-attack through post-averaging/);
});

test("pass 2's replay of pass 1's attacks is priced at pass 1's measured seconds per image, the rest at pass 1's pace", () => {
  // 20 of 30 correct images among 40 (accuracy 0.75): the 20th correct one is about the 27th image, so at batch 8
  // pass 2 replays 32 images (the suite again on each).
  const x = input({ shape: { ...shape, batchSize: 8 } });
  const plan = planAnalyse(opts, p, 40);
  const suite = suitePasses(plan, 1000);
  const perImage = costs.forwardSeconds * (1 + 0.75 * suite.forward) + costs.gradientSeconds * 0.75 * suite.gradient;
  const counted = passTwoSeconds(x, 20);
  const replayed = 32;
  assert.ok(
    Math.abs(pacedPassTwoSeconds({ ...x, replaySecondsPerImage: perImage }, 1, 20) - counted) < 1e-9,
    'measured = counted: no change',
  );
  assert.equal(pacedPassTwoSeconds(x, 1.5, 20), 1.5 * counted, 'no measurement: all at the pace');
  const measured = pacedPassTwoSeconds({ ...x, replaySecondsPerImage: 2 }, 1.5, 20);
  assert.ok(Math.abs(measured - (1.5 * (counted - replayed * perImage) + replayed * 2)) < 1e-9);
});
