/**
 * The verdict on hand-built reports: which attack gives the robust accuracy (bounded white-box at a fixed ε
 * only), what is listed apart, the defences' non-adaptive and adaptive rates, the Occluded Frequency band,
 * and partial runs. Figures are chosen so that each wrong choice gives a different number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attackName,
  bandPosition,
  headlineRow,
  modeWords,
  reportVerdict,
  shortAttackName,
  shortHeadline,
  verdictLines,
  verdictOf,
} from '../../src/protocol/verdict';
import { isQuickCheck, quickCheckSuite, quickCheckSuiteOf, quickCheckTitle } from '../../src/engine/attacks/quickCheckSuite';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { DefenceResult, DefenceRow, DefencesSection, OccludedFrequencySection } from '../../src/engine/report/sections';
import { ATTACKS, CLEAN, DEFENCES, OCCLUDED, fixtureReport } from '../webview/fixtures';

type Run = (typeof ATTACKS.runs)[number];

/** A run of `evaluated` images of which `cleanCorrect` are right and `attackedCorrect` survive. */
function run(label: string, mode: Run['mode'], cleanCorrect: number, attackedCorrect: number, over: Partial<Run> = {}): Run {
  const evaluated = 100;
  return {
    ...ATTACKS.runs[0],
    label,
    mode,
    evaluated,
    clean: { top1Correct: cleanCorrect, top1Accuracy: cleanCorrect / evaluated, top5Correct: 100, top5Accuracy: 1 },
    attacked: { top1Correct: attackedCorrect, top1Accuracy: attackedCorrect / evaluated, top5Correct: 100, top5Accuracy: 1 },
    attackedImages: cleanCorrect,
    numAdversarial: cleanCorrect - attackedCorrect,
    successRate: (cleanCorrect - attackedCorrect) / cleanCorrect,
    ...over,
  };
}

const attacks = (...runs: Run[]) => ({ ...ATTACKS, runs });

test('robust accuracy is the strongest bounded white-box attack at fixed ε, never DeepFool, C&W, SimBA, minimal-ε or targeted', () => {
  const v = verdictOf(
    [
      attacks(
        run('FGSM ε=8/255 (0.0314)', 'fixed-eps', 80, 40),
        run('PGD-10 L∞ ε=8/255 (0.0314)', 'fixed-eps', 80, 25),
        run('PGD-10 L∞ ε=8/255 (0.0314) (minimal ε)', 'minimal-eps', 80, 1, {
          epsilon: { count: 79, mean: 0.011, median: 0.0102, max: 0.031 },
        }),
        run('DeepFool-50 L2 overshoot=0.02', 'minimal-perturbation', 80, 0),
        run('C&W L2 (100 steps)', 'minimal-perturbation', 80, 0),
        run('SimBA-DCT ε=0.2 10000 queries', 'query-limited', 80, 2, { gradient: 'none' }),
        run('PGD-10 L∞ ε=8/255 (0.0314)', 'fixed-eps', 80, 3, { targeted: 'least-likely' }),
      ),
    ],
    'complete',
    10,
  );
  assert.ok(v.robust);
  assert.equal(v.robust.label, 'PGD-10 L∞ ε=8/255 (0.0314)');
  assert.equal(v.robust.top1, 0.25);
  assert.equal(v.robust.correct, 25);
  assert.equal(v.robust.among, 2, 'FGSM and PGD at fixed ε');
  assert.equal(v.robust.kept, 25 / 80, 'survivors among the correctly classified images');
  assert.deepEqual(
    v.others.map((o) => [o.mode, o.targeted]),
    [
      ['minimal-eps', null],
      ['minimal-perturbation', null],
      ['minimal-perturbation', null],
      ['query-limited', null],
      ['fixed-eps', 'least-likely'],
    ],
    'everything else is listed apart, in suite order',
  );
  const lines = verdictLines(v);
  const robust = lines.find((l) => l.key === 'robust')!.text;
  assert.match(
    robust,
    /^Robust accuracy 25\.0% under PGD-10 L∞ ε=8\/255 \(0\.0314\) \(fixed ε\), the strongest of 2 bounded white-box attacks/,
  );
  assert.match(robust, /against 80\.0% clean on the same images\. It keeps 31\.3% of the 80 images/);
  const others = lines.find((l) => l.key === 'others')!.text;
  assert.match(others, /DeepFool-50 L2 overshoot=0\.02 \(minimal perturbation\) needs a median L2 of/);
  assert.match(others, /SimBA-DCT ε=0\.2 10000 queries \(query-limited\) leaves 2\.0% correct/);
  assert.match(
    others,
    /PGD-10 L∞ ε=8\/255 \(0\.0314\) \(minimal ε\) breaks images at a median ε of 0\.0102/,
    'the mode said once, in words',
  );
  assert.doesNotMatch(others, /minimal-eps|\(minimal ε\) \(minimal ε\)/);
  assert.equal(shortHeadline(v), 'robust 25.0% (PGD-10 L∞ ε=8/255) · clean 80.0%');
});

test('a tie between bounded attacks goes to the first of the suite; an estimated gradient is still white-box', () => {
  const v = verdictOf(
    [attacks(run('FGSM', 'fixed-eps', 50, 10, { gradient: 'estimated' }), run('PGD-10', 'fixed-eps', 50, 10))],
    'complete',
  );
  assert.equal(v.robust?.label, 'FGSM');
});

test('only unbounded and query-limited attacks: no robust accuracy, said so, and the clean figure from their clean set', () => {
  const v = verdictOf(
    [attacks(run('DeepFool', 'minimal-perturbation', 70, 0), run('SimBA', 'query-limited', 70, 5, { gradient: 'none' }))],
    'complete',
  );
  assert.equal(v.robust, null);
  assert.deepEqual([v.clean?.top1, v.clean?.source], [0.7, 'attack']);
  const keys = verdictLines(v).map((l) => l.key);
  assert.deepEqual(keys, ['clean', 'no-robust', 'others']);
  assert.equal(shortHeadline(v), 'clean 70.0%', 'never "robust 0.0% (SimBA)"');
});

test('no attacks: clean accuracy from the clean section with the chance level; no sections: nothing to say', () => {
  const v = verdictOf([CLEAN], 'complete', 10);
  assert.deepEqual([v.clean?.top1, v.clean?.source, v.robust, v.attacked], [0.92, 'clean', null, false]);
  assert.deepEqual(verdictLines(v), [
    {
      key: 'clean',
      text: 'Clean accuracy 92.0% top-1: 92 of 100 images classified correctly (chance level for 10 classes: 10.0%).',
    },
  ]);
  const empty = verdictOf([], 'complete');
  assert.deepEqual(verdictLines(empty), []);
  assert.equal(shortHeadline(empty), null);
});

function row(over: Partial<DefenceRow> & Pick<DefenceRow, 'attack'>): DefenceRow {
  return { ...DEFENCES.results[0].rows[0], ...over };
}

test('defences: non-adaptive on all #Adv, adaptive on what it re-attacked (with the non-adaptive rate on those), the mode in words', () => {
  const fgsm = { label: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps' as const, norm: 'linf' as const, criterion: 'top1' as const, seed: 0 };
  const pgd = { ...fgsm, label: 'PGD-10 L∞ ε=8/255 (0.0314)' };
  const deepfool = { ...fgsm, label: 'DeepFool', mode: 'minimal-perturbation' as const, norm: 'l2' as const };
  const partly: DefenceResult = {
    ...DEFENCES.results[1],
    rows: [
      row({ attack: deepfool, numAdversarial: 60, defenceRate: 0.9, adaptive: null }),
      row({ attack: fgsm, numAdversarial: 40, defenceRate: 0.5, adaptive: null }),
      row({
        attack: pgd,
        numAdversarial: 50,
        defenceRate: 0.3,
        adaptive: {
          label: 'PGD through the filter',
          defenceRate: 0.04,
          nonAdaptiveDefenceRate: 0.28,
          images: 25,
          attacked: { top1: 0.1, top5: 1 },
          seed: 3,
          seconds: 1,
        },
      }),
    ],
  };
  const unprotected: DefenceResult = {
    ...DEFENCES.results[0],
    rows: [row({ attack: deepfool, numAdversarial: 30, defenceRate: 0.6, adaptive: null })],
  };
  const defences: DefencesSection = { kind: 'defences', notes: [], results: [partly, unprotected] };
  const v = verdictOf(
    [
      attacks(run(fgsm.label, 'fixed-eps', 80, 40), run(pgd.label, 'fixed-eps', 80, 30), run('DeepFool', 'minimal-perturbation', 80, 0)),
      defences,
    ],
    'complete',
  );
  assert.equal(v.robust?.label, pgd.label);
  // Judged against the headline's attack when it has a row, else the first fixed-ε row, else any.
  assert.equal(headlineRow(partly, pgd.label)?.attack.label, pgd.label);
  assert.equal(headlineRow(partly, null)?.attack.label, fgsm.label);
  assert.equal(headlineRow(unprotected, pgd.label)?.attack.label, 'DeepFool');
  assert.deepEqual(v.defences[0], {
    kind: 'low-pass',
    name: 'Low-pass filter',
    attack: { label: pgd.label, mode: 'fixed-eps' },
    numAdversarial: 50,
    nonAdaptive: 0.3,
    adaptive: { label: 'PGD through the filter', rate: 0.04, nonAdaptiveOnSame: 0.28, images: 25 },
    rows: 3,
  });
  const texts = verdictLines(v)
    .filter((l) => l.key === 'defence')
    .map((l) => l.text);
  assert.equal(
    texts[0],
    'Low-pass filter: non-adaptively it classifies 30.0% of the 50 adversarial examples of PGD-10 L∞ ε=8/255 (0.0314) (fixed ε) correctly; the adaptive attack, run through the defence, leaves 4.0% classified correctly on 25 of them (non-adaptive on those 25: 28.0%). Adaptive attack: PGD through the filter.',
  );
  assert.equal(
    texts[1],
    'Post-averaging: non-adaptively it classifies 60.0% of the 30 adversarial examples of DeepFool (minimal perturbation) correctly; no adaptive attack was run, and a defence rate without one overstates the defence.',
  );
});

test('defences: a row with no adversarial examples says there is nothing to defend, not a rate', () => {
  const none: DefenceResult = { ...DEFENCES.results[0], rows: [DEFENCES.results[0].rows[1]] };
  const v = verdictOf([{ kind: 'defences', notes: [], results: [none] }], 'complete');
  assert.match(
    verdictLines(v)[0].text,
    /^Post-averaging: DeepFool-50 L2 overshoot=0\.02 \(minimal perturbation\) produced no adversarial examples/,
  );
});

test('Occluded Frequency: the band with the highest mean score, per model, placed on the low → high axis', () => {
  const two: OccludedFrequencySection = {
    ...OCCLUDED,
    models: [
      { ...OCCLUDED.models[0], model: '/m/a.onnx', mean: [1, 3, 2, 0, 0, 0, 0, 0.5] },
      { ...OCCLUDED.models[0], model: '/m/b.onnx', mean: [0, 0, 0, 0, 0, 0.2, 0.1, 4] },
    ],
  };
  const v = verdictOf([two], 'complete');
  assert.deepEqual(
    v.bands.map((b) => [b.model, b.band, b.score, b.position]),
    [
      ['/m/a.onnx', 1, 3, 'low'],
      ['/m/b.onnx', 7, 4, 'highest'],
    ],
  );
  assert.deepEqual(
    verdictLines(v).map((l) => l.text),
    [
      "a.onnx relies most on frequency band 1 of 0–7 (low → high: the low frequencies): removing it lowers the predicted class's logit by 3 on average.",
      "b.onnx relies most on frequency band 7 of 0–7 (low → high: the highest frequencies): removing it lowers the predicted class's logit by 4 on average.",
    ],
  );
  assert.deepEqual(verdictOf([{ ...OCCLUDED, models: [{ ...OCCLUDED.models[0], mean: [] }] }], 'complete').bands, []);
  assert.deepEqual(
    [0, 1, 3, 4, 6, 7].map((b) => bandPosition(b, 8)),
    ['lowest', 'low', 'middle', 'middle', 'high', 'highest'],
  );
});

test('a partial run says its figures cover only the images finished, first', () => {
  const running = verdictOf([attacks(run('PGD-10', 'fixed-eps', 40, 10))], 'running');
  assert.equal(running.partial, true);
  assert.equal(verdictLines(running)[0].key, 'partial');
  const cleanPartial = verdictOf([{ ...CLEAN, partial: true, evaluated: 50 }], 'complete');
  assert.equal(cleanPartial.partial, true);
  assert.equal(verdictOf([CLEAN], 'complete').partial, false);
});

test('sections are found by kind, never by key, and junk is ignored', () => {
  const report = fixtureReport();
  const renamed = { ...report, sections: { x: report.sections.attacks, y: report.sections.clean, z: 7, w: null } } as unknown as ReportV1;
  assert.deepEqual(reportVerdict(renamed), reportVerdict({ ...report, sections: { attacks: report.sections.attacks, clean: CLEAN } }));
  assert.equal(reportVerdict(report).robust?.label, 'FGSM ε=8/255 (0.0314)', 'the fixture has one bounded white-box attack');
});

test('modes in words; labels without the mode suffix; short names without the decimal ε', () => {
  assert.deepEqual(['fixed-eps', 'minimal-eps', 'minimal-perturbation', 'query-limited', 'clean'].map(modeWords), [
    'fixed ε',
    'minimal ε',
    'minimal perturbation',
    'query-limited',
    'clean',
  ]);
  assert.equal(attackName('PGD-10 L∞ ε=8/255 (0.0314) (minimal ε)'), 'PGD-10 L∞ ε=8/255 (0.0314)');
  assert.equal(attackName('C&W L2 (100 steps, c=1, κ=0)'), 'C&W L2 (100 steps, c=1, κ=0)');
  assert.equal(shortAttackName('PGD-10 L∞ ε=8/255 (0.0314) (minimal ε)'), 'PGD-10 L∞ ε=8/255');
  assert.equal(shortAttackName('FGM L2 ε=1'), 'FGM L2 ε=1');
});

test('the quick check has one name, from its suite, and its reports are recognised by their attacks', () => {
  assert.equal(quickCheckTitle(), 'Quick Attack Check (FGSM, APGD-CE-10 L∞ at ε = 8/255)');
  const params = {
    fgsm: { attack: 'fgsm', eps: 8 / 255, mode: 'fixed-eps', gridSize: 100 },
    pgd: { attack: 'pgd', norm: 'linf', eps: 8 / 255, alpha: 2 / 255, steps: 10, randomStart: true, restarts: 1, mode: 'fixed-eps' },
    apgd: { attack: 'apgd-ce', norm: 'linf', eps: 8 / 255, steps: 10, restarts: 1, rho: 0.75, eot: 1 },
  };
  const report = (runs: Record<string, unknown>[], command = 'attack') => ({
    command,
    sections: { attacks: { runs: runs.map((p) => ({ mode: 'fixed-eps', params: p })) } },
  });
  assert.equal(quickCheckSuite().length, 2);
  assert.ok(isQuickCheck(report([params.fgsm, params.apgd])));
  assert.ok(!isQuickCheck(report([params.fgsm, { ...params.apgd, steps: 100 }])), "APGD-CE at AutoAttack's 100 steps");
  assert.ok(isQuickCheck(report([params.fgsm, params.pgd])), 'the legacy PGD-10 suite is still a quick check');
  assert.equal(quickCheckTitle(quickCheckSuiteOf(report([params.fgsm, params.pgd]))!), 'Quick Attack Check (FGSM, PGD-10 L∞ at ε = 8/255)');
  assert.ok(!isQuickCheck(report([params.fgsm, params.pgd, params.apgd])), 'three attacks (a check with a legacy gate) is neither suite');
  assert.ok(!isQuickCheck(report([params.fgsm, params.pgd], 'analyse')), 'an analyse run is not a quick check');
  assert.ok(!isQuickCheck(report([params.fgsm])), 'one attack missing');
  assert.ok(!isQuickCheck(report([params.fgsm, { ...params.pgd, eps: 4 / 255 }])), 'another ε');
  assert.ok(!isQuickCheck(report([params.fgsm, { ...params.pgd, steps: 40 }])), 'another step count');
  assert.ok(!isQuickCheck(report([params.fgsm, { ...params.pgd, mode: 'minimal-eps' }])), 'another mode');
  assert.ok(!isQuickCheck({ command: 'attack', sections: {} }));
});

test('fired masking flags add one warning line naming each with its evidence; none fired, no line', () => {
  const flagged = {
    kind: 'flags',
    flags: [
      {
        id: 'randomized-outputs',
        subject: 'post-averaging',
        severity: 'warning',
        title: 'Randomized outputs (post-averaging)',
        explanation: 'x',
        evidence: {},
        summary: '5 of 7 images scored differently',
      },
    ],
    checked: ['randomized-outputs'],
  };
  const lines = verdictLines(verdictOf([CLEAN, flagged], 'complete', 10));
  const warning = lines.find((l) => l.key === 'flags');
  assert.ok(warning, 'a flags line');
  assert.match(
    warning.text,
    /^Warning: possible gradient masking — Randomized outputs \(post-averaging\) \(5 of 7 images scored differently\)/,
  );
  assert.equal(lines.at(-1), warning, 'after the figures it qualifies');
  const quiet = verdictLines(verdictOf([CLEAN, { ...flagged, flags: [] }], 'complete', 10));
  assert.ok(!quiet.some((l) => l.key === 'flags'));
});

test('a certify run opens with its certified accuracy per σ; a Fourier heat map with its clean, mean and peak error', () => {
  // 4 images at σ = 0.25: radii 0.1, 0.3, 0.6 (correct) and an abstention; at r ≥ 0.25 two are certified, at r ≥ 0.5 one.
  const run = {
    sigma: 0.25,
    prediction: [1, 2, 3, null],
    nA: [900, 990, 999, 400],
    pALower: [0.65, 0.88, 0.99, 0.4],
    radius: [0.1, 0.3, 0.6, null],
    correct: [true, true, true, false],
    seconds: [1, 1, 1, 1],
    certifiedAccuracy: [],
    abstentionRate: 0.25,
    seed: 1,
    totalSeconds: 4,
  };
  const certification = {
    kind: 'certification',
    params: {},
    images: { file: ['a', 'b', 'c', 'd'], label: [1, 2, 3, 4] },
    radii: [],
    runs: [run],
  };
  const v = verdictOf([certification], 'complete');
  assert.deepEqual(
    v.certified[0].at.map((a) => a.accuracy),
    [0.75, 0.5, 0.25],
  );
  const lines = verdictLines(v);
  assert.match(
    lines.find((l) => l.key === 'certified')!.text,
    /^Randomized smoothing at σ = 0\.25: 75\.0% of 4 images certified correct \(radius ≥ 0\), 50\.0% at radius ≥ 0\.25, 25\.0% at radius ≥ 0\.5 \(L2, pixel units\); 25\.0% abstained\./,
  );
  const heat = {
    kind: 'fourier-heatmap',
    maps: [
      {
        model: 'model',
        label: 'model',
        cutoff: null,
        cleanError: 0.125,
        errorRate: [],
        meanError: 0.452,
        peak: { fy: -1, fx: -9, error: 0.781 },
        seconds: 1,
      },
    ],
  };
  const f = verdictLines(verdictOf([heat], 'complete')).find((l) => l.key === 'fourier')!;
  assert.equal(
    f.text,
    'Fourier heat map of model: clean error 12.5%; a single-frequency perturbation raises it to 45.2% on average over the map, highest 78.1% at (k_y, k_x) = (−1, −9) cycles per image.',
  );
  // Neither is a robust accuracy: no "no bounded attack" line either (nothing was attacked).
  assert.ok(!verdictLines(v).some((l) => l.key === 'no-robust' || l.key === 'robust'));
});
