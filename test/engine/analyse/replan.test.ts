/**
 * The re-plan after pass 1 on synthetic costs: pass 2's estimate is passCounts.ts' work at the probe's costs
 * (closed form against analyseWork), nothing changes while pass 2 and the extras fit at pass 1's pace, and when
 * they do not the adaptive images are cut to the most that fit (a brute-force search agrees), never below one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passOnePace, passTwoSeconds, replanPassTwo, type ReplanInput } from '../../../src/engine/analyse/replan';
import { analyseWork } from '../../../src/engine/analyse/passCounts';
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
