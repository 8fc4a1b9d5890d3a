import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyAt,
  derivedCurve,
  labelWithoutEpsilon,
  minimalImages,
  robustnessCurves,
  type MinimalImage,
} from '../../../src/engine/attacks/robustnessCurves';
import type { ImageOutcome } from '../../../src/engine/attacks/protocol';
import { Rng } from '../../../src/engine/util/random';

/** Direct count: correct images not broken within ε, over all images. */
function direct(images: MinimalImage[], eps: number): number {
  return images.filter((x) => x.correct && !(Number.isFinite(x.minimal) && x.minimal <= eps)).length / images.length;
}

function randomImages(seed: number, n: number): MinimalImage[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const correct = rng.next() < 0.8;
    const broken = rng.next() < 0.7;
    // Ties on purpose: minimal ε on a coarse grid, as a minimal-ε line search gives.
    return { correct, minimal: broken ? Math.ceil(rng.next() * 20) / 255 : NaN };
  });
}

test('the derived curve equals a direct count at every point, at every ε of the list, and never rises', () => {
  for (const seed of [1, 2, 3]) {
    const images = randomImages(seed, 97);
    const list = [0.5 / 255, 1 / 255, 4 / 255, 8 / 255, 30 / 255];
    const points = derivedCurve(images, list, null);
    assert.equal(points[0].eps, 0);
    for (const p of points) assert.ok(Math.abs(p.accuracy - direct(images, p.eps)) < 1e-12, `ε ${p.eps}`);
    for (let i = 1; i < points.length; i++) {
      assert.ok(points[i].eps > points[i - 1].eps, 'strictly increasing ε');
      assert.ok(points[i].accuracy <= points[i - 1].accuracy, 'non-increasing accuracy');
    }
    for (const eps of list)
      assert.ok(
        points.some((p) => p.eps === eps),
        `list ε ${eps} is a point`,
      );
    // Every distinct minimal ε of a correct image is a breakpoint.
    const breaks = new Set(images.filter((x) => x.correct && Number.isFinite(x.minimal)).map((x) => x.minimal));
    for (const b of breaks) assert.ok(points.some((p) => p.eps === b));
    // The step function between points: accuracyAt agrees with the direct count anywhere.
    const curve = {
      label: 'x',
      attack: 'deepfool',
      mode: 'minimal-perturbation' as const,
      source: 'derived' as const,
      budget: null,
      points,
    };
    for (const eps of [0.3 / 255, 2.5 / 255, 7.9 / 255, 1]) assert.ok(Math.abs(accuracyAt(curve, eps)! - direct(images, eps)) < 1e-12);
  }
});

test('a minimal-ε search stops at its budget: no point beyond it, and accuracyAt says unknown', () => {
  const images = randomImages(5, 50);
  const budget = 10 / 255;
  const points = derivedCurve(images, [4 / 255, 8 / 255, 16 / 255], budget);
  assert.ok(points.every((p) => p.eps <= budget + 1e-12));
  assert.ok(!points.some((p) => p.eps === 16 / 255));
  const curve = { label: 'x', attack: 'pgd', mode: 'minimal-eps' as const, source: 'derived' as const, budget, points };
  assert.equal(accuracyAt(curve, 16 / 255), null);
});

test('per-image minimal ε: the ε found (minimal-ε), the norm in the attack’s norm (minimal perturbation); clean errors never robust', () => {
  const o = (x: Partial<ImageOutcome>): ImageOutcome => ({
    cleanTop1: true,
    cleanTop5: true,
    attacked: true,
    success: true,
    attackedTop1: false,
    attackedTop5: true,
    l2: 0.5,
    linf: 0.02,
    queries: 3,
    epsilon: 0.01,
    ...x,
  });
  const outcomes = [o({}), o({ success: false, attackedTop1: true }), o({ cleanTop1: false, attacked: false, attackedTop1: false })];
  assert.deepEqual(
    minimalImages(outcomes, 'minimal-eps', 'linf', 'top1').map((x) => [x.correct, x.minimal]),
    [
      [true, 0.01],
      [true, NaN],
      [false, NaN],
    ],
  );
  assert.equal(minimalImages(outcomes, 'minimal-perturbation', 'l2', 'top1')[0].minimal, 0.5);
  assert.equal(minimalImages(outcomes, 'minimal-perturbation', 'linf', 'top1')[0].minimal, 0.02);
  // Beyond every minimal ε the curve ends at the attacked set's accuracy: 1 of 3.
  const pts = derivedCurve(minimalImages(outcomes, 'minimal-perturbation', 'l2', 'top1'), [], null);
  assert.deepEqual(
    pts.map((p) => [p.eps, p.accuracy]),
    [
      [0, 2 / 3],
      [0.5, 1 / 3],
    ],
  );
});

test('measured runs group into one curve per attack and norm, sorted by ε; labels lose their ε', () => {
  assert.equal(labelWithoutEpsilon('PGD-10 L∞ ε=8/255 (0.0314)'), 'PGD-10 L∞');
  assert.equal(labelWithoutEpsilon('FGM L2 ε=1'), 'FGM L2');
  assert.equal(labelWithoutEpsilon('Square L2 ε=0.5 5000 queries'), 'Square L2 5000 queries');
  const summary = (top1: number) => ({
    mode: 'fixed-eps' as const,
    attacked: { top1Correct: 0, top1Accuracy: top1, top5Correct: 0, top5Accuracy: 1 },
  });
  const s = robustnessCurves({
    criterion: 'top1',
    evaluated: 10,
    epsList: [8 / 255, 2 / 255],
    derived: [],
    measured: [
      { label: 'PGD-10 L∞', attack: 'pgd', norm: 'linf', eps: 8 / 255, summary: summary(0.1) },
      { label: 'FGM L2', attack: 'fgm', norm: 'l2', eps: 1, summary: summary(0.4) },
      { label: 'PGD-10 L∞', attack: 'pgd', norm: 'linf', eps: 2 / 255, summary: summary(0.6) },
    ],
  });
  assert.deepEqual(s.epsList, [2 / 255, 8 / 255]);
  assert.deepEqual(
    s.norms.map((n) => n.norm),
    ['linf', 'l2'],
  );
  const pgd = s.norms[0].curves[0];
  assert.equal(pgd.source, 'measured');
  assert.deepEqual(
    pgd.points.map((p) => p.accuracy),
    [0.6, 0.1],
  );
  assert.equal(accuracyAt(pgd, 2 / 255), 0.6);
  assert.equal(accuracyAt(pgd, 4 / 255), null, 'a measured curve has no value between its ε');
});
