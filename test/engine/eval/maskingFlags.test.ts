/**
 * The gradient-masking flags on hand-built sections: each flag fires on its evidence, carries the numbers
 * it fired on, and stays quiet on the same sections without that evidence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareScores, maskingFlags, tallyGradients, type FlagInputs, type GradientHealth } from '../../../src/engine/eval/maskingFlags';
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import type { DefencesSection, MaskingFlag } from '../../../src/engine/report/sections';
import type { EnsembleSection } from '../../../src/engine/attacks/ensemble';

type Run = AttacksSection['runs'][number];
const stats = { count: 0, mean: 0, median: 0, max: 0 } as unknown as Run['queries'];

function run(label: string, over: Partial<Run> & Pick<Run, 'params'>, robust: number, evaluated = 1000): Run {
  return {
    label,
    mode: 'fixed-eps',
    criterion: 'top1',
    targeted: null,
    gradient: 'analytic',
    seed: 0,
    evaluated,
    clean: { top1Correct: 900, top1Accuracy: 0.9, top5Correct: 1000, top5Accuracy: 1 },
    attacked: { top1Correct: Math.round(robust * evaluated), top1Accuracy: robust, top5Correct: 1000, top5Accuracy: 1 },
    attackedImages: 900,
    numAdversarial: 900 - Math.round(robust * evaluated),
    successRate: (900 - Math.round(robust * evaluated)) / 900,
    norms: { successful: { l2: stats, linf: stats }, all: { l2: stats, linf: stats } },
    queries: stats,
    epsilon: null,
    budgetCurve: null,
    seconds: 1,
    imagesPerSecond: 1,
    gallery: [],
    ...over,
  };
}

const attacks = (runs: Run[], ensemble?: EnsembleSection): AttacksSection => ({
  kind: 'attacks',
  criterion: 'top1',
  gradient: 'analytic',
  notes: [],
  runs,
  ...(ensemble ? { ensemble } : {}),
});

const apgd = (robust: number, eps = 8 / 255) => run('APGD-CE-100 L∞', { params: { attack: 'apgd-ce', norm: 'linf', eps } }, robust);
const square = (robust: number, eps = 8 / 255) =>
  run('Square L∞', { gradient: 'none', params: { attack: 'square', norm: 'linf', eps } }, robust);
const fired = (inputs: FlagInputs, id: MaskingFlag['id']) => maskingFlags(inputs).flags.filter((f) => f.id === id);

test('randomized outputs: fires when two classifications of the same images differ, with how many and by how much', () => {
  const a = Float32Array.from([1, 2, 3, 0.5, 0.4, 0.1]);
  const same = compareScores('model', a, Float32Array.from(a), 2);
  assert.deepEqual(same, { model: 'model', images: 2, differing: 0, top1Changed: 0, maxAbsDiff: 0 });
  // Row 2's scores move by 0.3 and its top-1 changes from class 0 to class 1.
  const b = Float32Array.from([1, 2, 3, 0.5, 0.7, 0.1]);
  const diff = compareScores('post-averaging', a, b, 2);
  assert.equal(diff.differing, 1);
  assert.equal(diff.top1Changed, 1);
  assert.ok(Math.abs(diff.maxAbsDiff - 0.3) < 1e-6);
  // Float noise far below the tolerance is not randomness.
  assert.equal(
    compareScores(
      'model',
      a,
      Float32Array.from(a, (x) => x * (1 + 1e-7)),
      2,
    ).differing,
    0,
  );

  const [flag, ...rest] = fired({ repeatability: [same, diff] }, 'randomized-outputs');
  assert.equal(rest.length, 0);
  assert.equal(flag.subject, 'post-averaging');
  assert.deepEqual(flag.evidence, { images: 2, differing: 1, top1Changed: 1, maxAbsDiff: diff.maxAbsDiff });
  assert.match(flag.summary, /1 of 2 images/);
  assert.equal(fired({ repeatability: [same] }, 'randomized-outputs').length, 0);
});

test('probabilities at the output: from the sanity finding, or a softmax output kind; quiet on logits', () => {
  const sanity = {
    kind: 'sanity' as const,
    findings: [{ check: 'probabilities-as-logits' as const, severity: 'warning' as const, message: 'every score lies in [0, 1]' }],
    proposal: null,
  };
  const fromSanity = fired({ sanity, outputKind: { kind: 'logits', reason: 'probe' } }, 'probabilities-output');
  assert.equal(fromSanity.length, 1);
  assert.equal(fromSanity[0].summary, 'every score lies in [0, 1]');
  const softmax = fired({ outputKind: { kind: 'probabilities', reason: 'the graph ends in Softmax' } }, 'probabilities-output');
  assert.equal(softmax.length, 1);
  assert.match(softmax[0].summary, /Softmax/);
  assert.equal(
    fired({ sanity: { ...sanity, findings: [] }, outputKind: { kind: 'logits', reason: 'x' } }, 'probabilities-output').length,
    0,
  );
});

test('zero / NaN / infinite gradients: counted per image, fractions in the evidence', () => {
  const health: GradientHealth = { images: 0, zero: 0, nan: 0, infinite: 0 };
  // 5 images × 3 pixels: healthy, all zero, one NaN, one −∞, NaN and ∞ (counts as NaN).
  tallyGradients(health, Float32Array.from([0, 1e-3, 0, 0, 0, 0, 1, NaN, 2, -Infinity, 0, 0, NaN, Infinity, 0]), 5);
  assert.deepEqual(health, { images: 5, zero: 1, nan: 2, infinite: 1 });
  const [flag] = fired({ gradients: health }, 'gradient-zero-or-nonfinite');
  assert.equal(flag.severity, 'error');
  assert.equal(flag.evidence.zeroFraction, 1 / 5);
  assert.equal(flag.evidence.nanFraction, 2 / 5);
  assert.equal(flag.evidence.infiniteFraction, 1 / 5);
  const zeroOnly = fired({ gradients: { images: 10, zero: 3, nan: 0, infinite: 0 } }, 'gradient-zero-or-nonfinite');
  assert.equal(zeroOnly[0].severity, 'warning');
  assert.match(zeroOnly[0].summary, /all zero on 3 \(30\.0 %\)/);
  assert.equal(fired({ gradients: { images: 10, zero: 0, nan: 0, infinite: 0 } }, 'gradient-zero-or-nonfinite').length, 0);
});

test('black-box stronger: Square below APGD at the same ε by more than 0.2 pt fires; 0.2 pt or less, or another ε, does not', () => {
  const [flag] = fired({ attacks: attacks([apgd(0.45), square(0.44)]) }, 'black-box-stronger');
  assert.equal(flag.subject, 'Square L∞');
  assert.equal(flag.evidence.blackBoxRobustAccuracy, 0.44);
  assert.equal(flag.evidence.whiteBoxRobustAccuracy, 0.45);
  assert.ok(Math.abs((flag.evidence.points as number) - 1) < 1e-9);
  assert.equal(fired({ attacks: attacks([apgd(0.45), square(0.449)]) }, 'black-box-stronger').length, 0);
  assert.equal(fired({ attacks: attacks([apgd(0.45), square(0.3, 4 / 255)]) }, 'black-box-stronger').length, 0);
  // Compared with the strongest white-box attack at that ε.
  const pgd = run('PGD-10 L∞', { params: { attack: 'pgd', norm: 'linf', eps: 8 / 255 } }, 0.43);
  assert.equal(fired({ attacks: attacks([apgd(0.45), pgd, square(0.44)]) }, 'black-box-stronger').length, 0);
  // FGSM has no norm parameter: it is L∞.
  const fgsm = run('FGSM', { params: { attack: 'fgsm', eps: 8 / 255 } }, 0.6);
  assert.equal(fired({ attacks: attacks([fgsm, square(0.5)]) }, 'black-box-stronger').length, 1);
});

test('black-box stronger in the AutoAttack cascade: Square breaking what APGD left is the evidence', () => {
  const ensembleOf = (squareBroke: number): EnsembleSection => ({
    name: 'autoattack',
    version: 'standard',
    norm: 'linf',
    eps: 8 / 255,
    evaluated: 1000,
    cleanCorrect: 900,
    cleanAccuracy: 0.9,
    robustCorrect: 500 - squareBroke,
    robustAccuracy: (500 - squareBroke) / 1000,
    complete: true,
    attacks: [
      { label: 'APGD-CE', ranOn: 900, broke: 400, robustAfter: 500, robustAccuracyAfter: 0.5, finished: true, seconds: 1 },
      {
        label: 'Square L∞',
        ranOn: 500,
        broke: squareBroke,
        robustAfter: 500 - squareBroke,
        robustAccuracyAfter: (500 - squareBroke) / 1000,
        finished: true,
        seconds: 1,
      },
    ],
    images: [],
    notes: [],
  });
  const runs = [apgd(0.5), square(0.47)];
  const [flag] = fired({ attacks: attacks(runs, ensembleOf(30)) }, 'black-box-stronger');
  assert.equal(flag.evidence.broke, 30);
  assert.equal(flag.evidence.ranOn, 500);
  assert.ok(Math.abs((flag.evidence.points as number) - 3) < 1e-9);
  // Two images of 1000 is 0.2 pt: not above the margin.
  assert.equal(fired({ attacks: attacks(runs, ensembleOf(2)) }, 'black-box-stronger').length, 0);
});

test('robust accuracy not decreasing as ε grows: from runs of one attack at several ε, and from the ε sweep', () => {
  const pgd = (eps: number, robust: number) =>
    run(`PGD-10 L∞ ε=${eps}`, { params: { attack: 'pgd', norm: 'linf', eps, steps: 10 } }, robust);
  const [flag] = fired({ attacks: attacks([pgd(0.03, 0.4), pgd(0.01, 0.6), pgd(0.02, 0.62)]) }, 'robustness-not-decreasing-with-eps');
  assert.deepEqual(
    { from: flag.evidence.from, to: flag.evidence.to, epsFrom: flag.evidence.epsFrom, epsTo: flag.evidence.epsTo },
    { from: 0.6, to: 0.62, epsFrom: 0.01, epsTo: 0.02 },
  );
  assert.equal(
    fired({ attacks: attacks([pgd(0.03, 0.4), pgd(0.01, 0.6), pgd(0.02, 0.5)]) }, 'robustness-not-decreasing-with-eps').length,
    0,
  );
  // Different attacks are not one curve.
  const other = run('PGD-20', { params: { attack: 'pgd', norm: 'linf', eps: 0.03, steps: 20 } }, 0.7);
  assert.equal(fired({ attacks: attacks([pgd(0.01, 0.6), other]) }, 'robustness-not-decreasing-with-eps').length, 0);

  const curve = { attack: 'PGD-10 L∞ (the ε sweep)', eps: [0.01, 0.02, 0.04], robustAccuracy: [0.8, 0.5, 0.55], evaluated: 20 };
  const [sweep] = fired({ epsilonCurve: curve }, 'robustness-not-decreasing-with-eps');
  assert.equal(sweep.evidence.from, 0.5);
  assert.equal(sweep.evidence.to, 0.55);
  assert.equal(fired({ epsilonCurve: { ...curve, robustAccuracy: [0.8, 0.5, 0.5] } }, 'robustness-not-decreasing-with-eps').length, 0);
});

test('unbounded attack short of 100 %: DeepFool or C&W leaving attacked images unbroken', () => {
  const deepfool = (broken: number) =>
    run(
      'DeepFool-50 L2',
      {
        mode: 'minimal-perturbation',
        params: { attack: 'deepfool', norm: 'l2' },
        attackedImages: 900,
        numAdversarial: broken,
        successRate: broken / 900,
      },
      0.9 - broken / 1000,
    );
  const [flag] = fired({ attacks: attacks([deepfool(891)]) }, 'unbounded-not-100');
  assert.deepEqual(flag.evidence, { attacked: 900, broken: 891, successRate: 891 / 900 });
  assert.equal(fired({ attacks: attacks([deepfool(900)]) }, 'unbounded-not-100').length, 0);
  // A bounded attack below 100 % is the normal case.
  assert.equal(fired({ attacks: attacks([apgd(0.4)]) }, 'unbounded-not-100').length, 0);
});

test('adaptive collapse: a high non-adaptive rate that the adaptive attack takes down fires, a small drop does not', () => {
  const defences = (nonAdaptive: number, adaptive: number): DefencesSection => ({
    kind: 'defences',
    notes: [],
    results: [
      {
        defence: { kind: 'low-pass', params: { cutoff: 5, maxCutoff: 14 } },
        chosenBy: 'sweep',
        cost: null,
        rows: [
          {
            attack: { label: 'PGD-10 L∞', mode: 'fixed-eps', norm: 'linf', criterion: 'top1', seed: 0 },
            evaluated: 100,
            numAdversarial: 40,
            original: { clean: { top1: 0.9, top5: 1 }, attacked: { top1: 0.5, top5: 1 } },
            defended: { clean: { top1: 0.9, top5: 1 }, attacked: { top1: 0.8, top5: 1 } },
            defenceRate: nonAdaptive,
            adaptive: {
              label: 'PGD-10 through the filter',
              defenceRate: adaptive,
              attacked: { top1: 0.5, top5: 1 },
              images: 40,
              nonAdaptiveDefenceRate: nonAdaptive,
              seed: 1,
              seconds: 1,
            },
          },
        ],
      },
    ],
  });
  const [flag] = fired({ defences: defences(0.8, 0.05) }, 'adaptive-collapse');
  assert.equal(flag.subject, 'low-pass / PGD-10 L∞');
  assert.equal(flag.evidence.nonAdaptive, 0.8);
  assert.equal(flag.evidence.adaptive, 0.05);
  assert.ok(Math.abs((flag.evidence.points as number) - 75) < 1e-9);
  assert.equal(fired({ defences: defences(0.8, 0.7) }, 'adaptive-collapse').length, 0);
  assert.equal(fired({ defences: defences(0.2, 0.0) }, 'adaptive-collapse').length, 0);
});

test('no evidence, no flags; the checks that had evidence are listed', () => {
  const s = maskingFlags({});
  assert.deepEqual(s.flags, []);
  assert.deepEqual(s.checked, []);
  const quiet = maskingFlags({ attacks: attacks([apgd(0.4), square(0.45)]), gradients: { images: 5, zero: 0, nan: 0, infinite: 0 } });
  assert.deepEqual(quiet.flags, []);
  assert.ok(quiet.checked.includes('black-box-stronger') && quiet.checked.includes('gradient-zero-or-nonfinite'));
});
