/** The run's ETA from scripted progress: stage priors scaled by measured speed, the current stage's own rate, a countdown between messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RunEta, formatDuration, formatEstimate, timeLeftText, type StagePrior } from '../../src/host/eta';

/** A stage of a scripted run: `units` progress units, each taking `seconds(k)` (k = 0-based unit). */
interface ScriptStage {
  stage: string;
  units: number;
  seconds: (k: number) => number;
}

/** Progress messages as an engine sends them: at each stage start, then every `everyS` seconds; and the true remaining time at each. */
function script(stages: ScriptStage[], everyS: number): { atS: number; stage: string; done: number; total: number; trueLeft: number }[] {
  const ends: { stage: ScriptStage; unitEnds: number[] }[] = [];
  let t = 0;
  for (const s of stages) {
    const unitEnds: number[] = [];
    for (let k = 0; k < s.units; k++) unitEnds.push((t += s.seconds(k)));
    ends.push({ stage: s, unitEnds });
  }
  const totalS = t;
  const out: { atS: number; stage: string; done: number; total: number; trueLeft: number }[] = [];
  let start = 0;
  for (const { stage, unitEnds } of ends) {
    const end = unitEnds[unitEnds.length - 1];
    for (let at = start; at < end; at += everyS) {
      const done = unitEnds.filter((e) => e <= at).length;
      out.push({ atS: at, stage: stage.stage, done, total: stage.units, trueLeft: totalS - at });
    }
    start = end;
  }
  return out;
}

/** An analyse run's stages: clean (fast), pass 1 (slow, uneven), pass 2's cheap part and its dear one. */
const RUN: ScriptStage[] = [
  { stage: 'clean evaluation', units: 200, seconds: () => 0.05 },
  { stage: 'attacks, defences and frequency analyses', units: 200, seconds: (k) => 2 + 0.5 * Math.sin(k) },
  { stage: 'defended cost and ε sweep', units: 32, seconds: () => 1 },
  { stage: 'adaptive attacks', units: 40, seconds: (k) => 12 + 3 * Math.cos(k) },
];
const TRUE_S = RUN.map((s) => [...Array(s.units).keys()].reduce((sum, k) => sum + s.seconds(k), 0));

function priors(factors: number[]): StagePrior[] {
  return RUN.map((s, i) => ({ stage: s.stage, seconds: TRUE_S[i] * factors[i] }));
}

function midRunErrors(p: StagePrior[]): number[] {
  const eta = new RunEta(p);
  const messages = script(RUN, 5);
  const totalS = messages[0].trueLeft;
  const errors: number[] = [];
  for (const m of messages) {
    eta.update(m.stage, m.done, m.total, m.atS * 1000);
    const left = eta.remaining(m.atS * 1000);
    if (m.atS >= 0.4 * totalS && m.atS <= 0.6 * totalS) errors.push((left! - m.trueLeft) / m.trueLeft);
  }
  return errors;
}

describe('RunEta', () => {
  it('mid-run, within ±30 % of the true remaining time when the machine runs every stage 2× slower than probed', () => {
    const errors = midRunErrors(priors([0.5, 0.5, 0.5, 0.5]));
    assert.ok(errors.length > 10);
    for (const e of errors) assert.ok(Math.abs(e) <= 0.3, `off by ${(100 * e).toFixed(1)} %`);
  });

  it('mid-run, within ±30 % when on top of that the priors err per stage by ±10 % in opposite directions', () => {
    const errors = midRunErrors(priors([0.5 * 1.1, 0.5 * 0.9, 0.5 * 0.9, 0.5 * 1.1]));
    assert.ok(errors.length > 10);
    for (const e of errors) assert.ok(Math.abs(e) <= 0.3, `off by ${(100 * e).toFixed(1)} %`);
  });

  it('counts down between messages, never below zero, and never freezes', () => {
    const eta = new RunEta(priors([1, 1, 1, 1]));
    eta.update(RUN[1].stage, 0, 200, 0);
    const at0 = eta.remaining(0)!;
    assert.ok(at0 > 0);
    assert.equal(eta.remaining(1000), at0 - 1);
    assert.equal(eta.remaining(60_000), at0 - 60);
    assert.equal(eta.remaining(10_000_000), 0, 'never negative');
  });

  it('starts a stage from its scaled prior, never from a near-zero extrapolation', () => {
    const eta = new RunEta([
      { stage: 'a', seconds: 10 },
      { stage: 'b', seconds: 100 },
    ]);
    eta.update('a', 0, 10, 0);
    assert.equal(eta.remaining(0), 110);
    eta.update('a', 10, 10, 20_000); // a took 20 s against a prior of 10: the machine looks 2× slower
    eta.update('b', 0, 50, 20_000);
    // b's prior scaled by the speed measured so far, tempered by a pseudo-observation worth 5 % of the run (5.5 s at ×1).
    const scale = (20 + 5.5) / (10 + 5.5);
    assert.ok(Math.abs(eta.remaining(20_000)! - 100 * scale) < 1e-9, `${eta.remaining(20_000)}`);
    // A quick first unit of b does not make its ETA collapse to seconds: the prior weighs 98 %.
    eta.update('b', 1, 50, 20_100);
    assert.ok(eta.remaining(20_100)! > 140, `${eta.remaining(20_100)}`);
  });

  it("a stage's reported passes replace its prior, priced at the probe's costs and scaled by the speed measured so far", () => {
    const costs = { forwardSeconds: 0.001, gradientSeconds: 0.004 };
    // The plan guessed 10 s for pass 2's adaptive attacks; the engine counts 5,000 forward and 5,000 gradient passes: 25 s.
    const eta = new RunEta(
      [
        { stage: 'pass one', seconds: 20 },
        { stage: 'adaptive attacks', seconds: 10 },
      ],
      costs,
    );
    eta.update('pass one', 0, 10, 0);
    eta.update('pass one', 10, 10, 40_000); // twice as slow as its prior
    eta.update('adaptive attacks', 0, 10, 40_000, { fraction: 0, expected: { forward: 5000, gradient: 5000 } });
    const left = eta.remaining(40_000)!;
    // The 2× measured on pass one, with the pseudo-observation at the probe's speed: (40 + 1.5) / (20 + 1.5).
    const scale = (40 + 0.05 * 30) / (20 + 0.05 * 30);
    assert.ok(Math.abs(left - 25 * scale) < 1e-9, `${left} s left, expected ${25 * scale}`);
    // Without the probe's costs the passes cannot be priced: the plan's prior stays.
    const unpriced = new RunEta([{ stage: 'adaptive attacks', seconds: 10 }]);
    unpriced.update('adaptive attacks', 0, 10, 0, { fraction: 0, expected: { forward: 5000, gradient: 5000 } });
    assert.equal(unpriced.remaining(0), 10);
  });

  it("a stage with a work share follows the share, not the images: a batch's cheap parts do not fool the rate", () => {
    // 10 images; the first 9 are replayed quickly (10 % of the work in 1 s), the adaptive part is the other 90 %.
    const byImages = new RunEta();
    const byWork = new RunEta();
    byImages.update('adaptive attacks', 0, 10, 0);
    byWork.update('adaptive attacks', 0, 10, 0, { fraction: 0 });
    byImages.update('adaptive attacks', 9, 10, 1000);
    byWork.update('adaptive attacks', 9, 10, 1000, { fraction: 0.1 });
    assert.ok(Math.abs(byWork.remaining(1000)! - 9) < 1e-9, `by work: ${byWork.remaining(1000)} s left (truly 9)`);
    assert.ok(byImages.remaining(1000)! < 0.2, `by images the same run looks nearly done: ${byImages.remaining(1000)} s`);
  });

  it('without priors: the current stage extrapolated, unknown until it progresses, zero when done', () => {
    const eta = new RunEta();
    eta.update('clean', 10, 100, 1000);
    assert.equal(eta.remaining(1000), null, 'the first message of a stage is its origin');
    eta.update('clean', 30, 100, 3000); // 20 in 2 s; 70 left → 7 s
    assert.ok(Math.abs(eta.remaining(3000)! - 7) < 1e-9);
    eta.update('attacks', 0, 50, 4000);
    assert.equal(eta.remaining(4000), null);
    eta.update('attacks', 50, 50, 9000);
    assert.equal(eta.remaining(9000), 0);
  });
});

describe('durations', () => {
  it('formats measured durations', () => {
    assert.equal(formatDuration(7.4), '7 s');
    assert.equal(formatDuration(185), '3 min 5 s');
    assert.equal(formatDuration(3720), '1 h 2 min');
  });

  it('says "finishing…" past the estimate, nothing while it is unknown', () => {
    assert.equal(timeLeftText(185), ' · about 3 min 5 s left');
    assert.equal(timeLeftText(0), ' · finishing…');
    assert.equal(timeLeftText(null), '');
  });

  it('rounds estimates to what they can claim', () => {
    assert.equal(formatEstimate(2), '≈ 5 s');
    assert.equal(formatEstimate(42), '≈ 40 s');
    assert.equal(formatEstimate(250), '≈ 4 min');
    assert.equal(formatEstimate(3600 + 22 * 60), '≈ 1 h 20 min');
    assert.equal(formatEstimate(2 * 3600 + 58 * 60), '≈ 3 h');
    assert.equal(formatEstimate(7200), '≈ 2 h');
  });
});
