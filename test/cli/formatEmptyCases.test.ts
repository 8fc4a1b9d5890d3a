import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAttackReport } from '../../src/cli/format';
import type { ReportV1 } from '../../src/engine/report/schema';

const stats = { count: 0, mean: null, median: null, max: null, min: null };
const zero = { top1Correct: 0, top1Accuracy: 0, top5Correct: 0, top5Accuracy: 0 };

/** An attack report whose one run had nothing to attack: every sampled image already misclassified. */
function report(targeted: string | null): ReportV1 {
  const run = {
    label: 'pgd',
    mode: 'fixed-eps',
    params: {},
    criterion: 'top1',
    targeted,
    gradient: 'analytic',
    seed: 0,
    evaluated: 8,
    clean: zero,
    attacked: zero,
    attackedImages: 0,
    numAdversarial: 0,
    successRate: 0,
    norms: { successful: { l2: stats, linf: stats }, all: { l2: stats, linf: stats } },
    queries: stats,
    epsilon: null,
    budgetCurve: null,
    seconds: 0.01,
    imagesPerSecond: 0,
    gallery: [],
  };
  return {
    model: { path: 'm.onnx' },
    dataset: null,
    status: 'complete',
    warnings: [],
    sections: { attacks: { kind: 'attacks', criterion: 'top1', gradient: 'analytic', notes: [], runs: [run] } },
  } as unknown as ReportV1;
}

test('an attack with nothing to attack says so instead of "0 / 0 = 0.00 %" and "0.0 images/s"', () => {
  const text = formatAttackReport(report(null));
  assert.match(text, /Nothing to attack: all 8 images are already misclassified \(top-1\)/);
  assert.doesNotMatch(text, /0 \/ 0 attacked images/);
  assert.doesNotMatch(text, /images\/s/);
  assert.match(
    formatAttackReport(report('least-likely')),
    /Nothing to attack: none of the 8 images is correctly classified \(top-1\) and not already the target/,
  );
});
