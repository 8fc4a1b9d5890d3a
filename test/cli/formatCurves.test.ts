import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costLine, robustnessCurveLines } from '../../src/cli/formatCurves';
import { SECTION_FORMATTERS } from '../../src/cli/format';
import { epsListFromFlag } from '../../src/cli/attackFlags';
import { derivedCurve, robustnessCurves, type MinimalImage } from '../../src/engine/attacks/robustnessCurves';
import { attackCost } from '../../src/engine/attacks/protocol';
import type { ReportV1 } from '../../src/engine/report/schema';

const images: MinimalImage[] = [
  { correct: true, minimal: 2 / 255 },
  { correct: true, minimal: 6 / 255 },
  { correct: true, minimal: NaN },
  { correct: false, minimal: NaN },
];

test('the curves print: measured at each ε of the list (unknown as —), derived at its own breakpoints and the list’s ε', () => {
  const s = robustnessCurves({
    criterion: 'top1',
    evaluated: 4,
    epsList: [1 / 255, 4 / 255, 8 / 255],
    derived: [],
    measured: [
      {
        label: 'PGD-10 L∞',
        attack: 'pgd',
        norm: 'linf',
        eps: 4 / 255,
        summary: { mode: 'fixed-eps', attacked: { top1Correct: 1, top1Accuracy: 0.25, top5Correct: 1, top5Accuracy: 1 } },
      },
    ],
  });
  s.norms[0].curves.push({
    label: 'FGSM (minimal ε)',
    attack: 'fgsm',
    mode: 'minimal-eps',
    source: 'derived',
    budget: 8 / 255,
    points: derivedCurve(images, s.epsList, 8 / 255),
  });
  const lines = robustnessCurveLines(s);
  const text = lines.join('\n');
  assert.match(text, /top-1 robust accuracy over 4 images/);
  const pgd = lines.find((l) => l.includes('PGD-10 L∞ (measured)'))!;
  assert.match(pgd, /1\/255→—\s+4\/255→25\.00 %\s+8\/255→—/);
  // Derived: 3 correct of 4; broken at 2/255 and 6/255 → 75 %, 50 %, 25 %.
  const fgsm = lines.find((l) => l.includes('FGSM (minimal ε) (derived)'))!;
  assert.match(fgsm, /0→75\.00 %\s+1\/255→75\.00 %\s+2\/255→50\.00 %\s+4\/255→50\.00 %\s+6\/255→25\.00 %\s+8\/255→25\.00 %/);
  assert.match(text, /searched up to ε = 8\/255/);
  assert.deepEqual(SECTION_FORMATTERS['robustness-curves'](s, {} as ReportV1), lines);
});

test('the cost line: totals, per-image means and the queries’ median', () => {
  const c = attackCost({ forward: 20, gradient: 100, evaluationForward: 10 }, [12, 12, 12, 12, 12, 12, 12, 12, 12, 12]);
  const line = costLine(c);
  assert.match(line, /20 forward \+ 100 gradient passes \(\+10 evaluation forward\) on 10 images/);
  assert.match(line, /per image mean 2 forward, 10 gradient/);
  assert.match(line, /queries 120 \(median 12, mean 12\)/);
});

test('--eps-list: k/255 and decimals, sorted without duplicates; bad values are usage errors', () => {
  assert.deepEqual(
    epsListFromFlag('8/255,1/255,0.01,1/255'),
    [0.01 / 1, 1 / 255, 8 / 255].sort((a, b) => a - b),
  );
  assert.equal(epsListFromFlag(undefined), undefined);
  for (const bad of ['', '1/255,,2/255', '0', '-1/255', 'abc']) assert.throws(() => epsListFromFlag(bad), /--eps-list/, bad);
});
