/**
 * Report invariants on hand-made sections: a consistent report has none violated, and each kind of
 * inconsistency is named — including "150 of 149" and two non-adaptive rates on one set of examples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { buildReport } from '../../../src/engine/report/buildReport';
import { checkReportInvariants } from '../../../src/engine/report/invariants';
import type { AttackRunSummary } from '../../../src/engine/attacks/protocol';
import type { CleanSection } from '../../../src/engine/report/schema';
import type { DefenceRow, DefencesSection, RctSection, SpectraSection, SweepsSection } from '../../../src/engine/report/sections';

const stats = { count: 0, mean: null, median: null, max: null };
const map = (h: number, w: number) => ({ height: h, width: w, values: new Array<number>(h * w).fill(0) });

function consistent() {
  const clean = {
    kind: 'clean',
    partial: false,
    requested: 10,
    evaluated: 10,
    top1Correct: 8,
    top1Accuracy: 0.8,
    top5Correct: 10,
    top5Accuracy: 1,
    meanConfidence: 0.9,
    perClass: [
      { className: 'a', total: 6, correct: 5, accuracy: 5 / 6 },
      { className: 'b', total: 4, correct: 3, accuracy: 0.75 },
    ],
    confusion: null,
    predictions: [],
    throughput: { seconds: 1, inferenceSeconds: 1, imagesPerSecond: 10, batchSize: 4 },
  } satisfies CleanSection;
  const run: AttackRunSummary = {
    label: 'PGD',
    mode: 'minimal-eps',
    params: {},
    criterion: 'top1',
    targeted: null,
    gradient: 'analytic',
    seed: 1,
    evaluated: 10,
    clean: { top1Correct: 8, top1Accuracy: 0.8, top5Correct: 10, top5Accuracy: 1 },
    attacked: { top1Correct: 2, top1Accuracy: 0.2, top5Correct: 9, top5Accuracy: 0.9 },
    attackedImages: 8,
    numAdversarial: 6,
    successRate: 0.75,
    norms: { successful: { l2: stats, linf: stats }, all: { l2: stats, linf: stats } },
    queries: stats,
    epsilon: null,
    budgetCurve: null,
    seconds: 1,
    imagesPerSecond: 8,
  };
  const row: DefenceRow = {
    attack: { label: 'PGD', mode: 'minimal-eps', norm: 'linf', criterion: 'top1', seed: 1 },
    evaluated: 10,
    numAdversarial: 6,
    original: { clean: { top1: 0.8, top5: 1 }, attacked: { top1: 0.2, top5: 0.9 } },
    defended: { clean: { top1: 0.8, top5: 1 }, attacked: { top1: 0.5, top5: 0.9 } },
    defenceRate: 0.5,
    adaptive: {
      label: 'EOT-PGD',
      defenceRate: 0.25,
      attacked: { top1: 0.25, top5: 1 },
      images: 4,
      nonAdaptiveDefenceRate: 0.5,
      seed: 2,
      seconds: 1,
    },
  };
  const sections = {
    clean,
    attacks: { kind: 'attacks', criterion: 'top1', gradient: 'analytic', notes: [], runs: [{ ...run, gallery: [] }] },
    defences: {
      kind: 'defences',
      results: [{ defence: { kind: 'low-pass', params: { cutoff: 8, maxCutoff: 14 } }, chosenBy: 'user', rows: [row], cost: null }],
      notes: [],
    } satisfies DefencesSection,
    sweeps: {
      kind: 'sweeps',
      sweeps: [
        {
          id: 'defence-rate-vs-epsilon',
          title: 'ε sweep',
          xLabel: 'ε',
          yLabel: 'rate',
          x: [0.01, 0.02],
          series: [{ name: 'non-adaptive', attack: 'PGD', mode: 'fixed-eps', y: [0.5, null] }],
          fixed: {},
        },
      ],
    } satisfies SweepsSection,
    rct: {
      kind: 'rct',
      epsilon: 1e-3,
      definition: '',
      maps: [{ attack: 'PGD', mode: 'minimal-eps', count: 6, map: map(2, 2) }],
    } satisfies RctSection,
    spectra: {
      kind: 'spectra',
      cutoff: 2,
      definition: '',
      entries: [
        {
          attack: 'PGD',
          mode: 'minimal-eps',
          count: 6,
          perturbationSpectrum: map(2, 2),
          logSpectrumDifference: map(2, 2),
          lowFrequencyEnergyPerturbation: 0.4,
          lowFrequencyEnergyImages: 0.9,
        },
      ],
    } satisfies SpectraSection,
  };
  return {
    sections,
    clean,
    run: sections.attacks.runs[0],
    row,
    sweep: sections.sweeps.sweeps[0],
    rct: sections.rct.maps[0],
    spectrum: sections.spectra.entries[0],
  };
}

type Fixture = ReturnType<typeof consistent>;

/** Checks the report after `spoil` and expects exactly one violation matching `expected`. */
function violates(spoil: (f: Fixture) => void, expected: RegExp): void {
  const f = consistent();
  spoil(f);
  const found = checkReportInvariants({ sections: f.sections });
  assert.equal(found.length, 1, `one violation expected, got ${JSON.stringify(found)}`);
  assert.match(found[0], expected);
}

test('a consistent report violates no invariant', () => {
  assert.deepEqual(checkReportInvariants({ sections: consistent().sections }), []);
  assert.deepEqual(checkReportInvariants({ sections: {} }), []);
});

test('clean: counts within the evaluated images, accuracies their ratios, per-class counts summing up', () => {
  violates((f) => Object.assign(f.clean, { top5Correct: 11, top5Accuracy: 1.1 }), /top-5 correct 11 exceeds 10/);
  violates((f) => Object.assign(f.clean, { top1Accuracy: 0.7 }), /top-1 accuracy 0.7 is not 8\/10/);
  violates((f) => Object.assign(f.clean, { top5Correct: 7, top5Accuracy: 0.7 }), /top-1 correct 8 exceeds top-5 correct 7/);
  violates((f) => (f.clean.perClass[1].total = 5), /per-class totals sum to 11, not the 10 evaluated/);
  violates(
    (f) => Object.assign(f.clean.perClass[0], { correct: 7, total: 6 }) && Object.assign(f.clean.perClass[1], { correct: 1 }),
    /class "a" correct 7 exceeds 6/,
  );
  violates((f) => (f.clean.perClass[1].correct = 2), /per-class correct counts sum to 7, not top-1 correct 8/);
});

test('attack runs: #Adv ≤ attacked ≤ correctly classified ≤ evaluated, success rate = #Adv ÷ attacked', () => {
  violates((f) => Object.assign(f.run, { numAdversarial: 9, successRate: 9 / 8 }) && (f.row.numAdversarial = 9), /#Adv 9 exceeds 8/);
  violates((f) => Object.assign(f.run, { attackedImages: 9, successRate: 6 / 9 }), /attacked images 9 exceeds the 8 classified correctly/);
  violates((f) => (f.run.successRate = 0.8), /success rate 0.8 is not #Adv ÷ attacked images = 6\/8/);
  violates((f) => (f.run.attacked.top1Accuracy = 0.3), /attacked top-1 accuracy 0.3 is not 2\/10/);
  violates((f) => Object.assign(f.run.attacked, { top5Correct: 12, top5Accuracy: 1.2 }), /attacked top-5 correct 12 exceeds 10/);
});

test('clean accuracy is one figure: an attack run on the clean evaluation’s images counts the same correct images', () => {
  violates(
    (f) =>
      Object.assign(f.run.clean, { top1Correct: 7, top1Accuracy: 0.7 }) && Object.assign(f.run, { attackedImages: 7, successRate: 6 / 7 }),
    /attack PGD: 7 of 10 images correct clean, but the clean evaluation of the same 10 images counts 8/,
  );
  // A partial pass covers fewer images: its own clean count is not compared with the whole evaluation's.
  const f = consistent();
  Object.assign(f.run, { evaluated: 5 });
  Object.assign(f.run.clean, { top1Correct: 4, top1Accuracy: 0.8 });
  Object.assign(f.run.attacked, { top1Accuracy: 0.4, top5Correct: 4, top5Accuracy: 0.8 });
  Object.assign(f.run, { attackedImages: 4, numAdversarial: 2, successRate: 0.5 });
  assert.ok(!checkReportInvariants({ sections: f.sections }).some((v) => v.includes('clean evaluation of the same')));
});

test('defence rows: "150 of 149", rates over their own examples, one non-adaptive rate per set, #Adv as in the attacks section', () => {
  violates((f) => (f.row.adaptive!.images = 7), /adaptive examples 7 exceeds #Adv 6/);
  violates(
    (f) => Object.assign(f.row.adaptive!, { images: 6, nonAdaptiveDefenceRate: 4 / 6 }),
    /two non-adaptive defence rates on the same 6 examples \(0.5 and 0.6666/,
  );
  violates((f) => (f.row.adaptive!.defenceRate = 0.75), /adaptive defence rate 0.75 exceeds the non-adaptive 0.5/);
  violates((f) => (f.row.defenceRate = 1.5), /defence rate 1.5 is not in \[0, 1\]/);
  violates((f) => (f.row.defenceRate = null), /defence rate missing although there are 6 examples/);
  violates((f) => Object.assign(f.row.adaptive!, { images: 0, defenceRate: null, nonAdaptiveDefenceRate: 0.5 }), /over no examples/);
  violates((f) => (f.row.defended.attacked = { top1: -0.1, top5: 1 }), /defended attacked accuracy -0.1 \/ 1 is not in \[0, 1\]/);
  violates((f) => (f.row.numAdversarial = 5), /#Adv 5 differs from the attacks section's 6/);
  violates((f) => (f.row.evaluated = 12), /12 evaluated images differ from the attacks section's 10/);
});

test("sweeps: one value per x, fractions; RCT maps and spectra: at most the attack's #Adv examples, whole maps", () => {
  violates((f) => f.sweep.series[0].y.push(0.1), /3 values for 2 x values/);
  violates((f) => (f.sweep.series[0].y[0] = 2), /value 2 at x = 0.01 is not in \[0, 1\]/);
  violates((f) => (f.rct.count = 7), /RCT map of PGD: examples 7 exceeds the attack's #Adv 6/);
  violates((f) => f.rct.map.values.pop(), /RCT map of PGD: 3 values for a 2 × 2 map/);
  violates((f) => (f.spectrum.count = 8), /spectrum of PGD: examples 8 exceeds the attack's #Adv 6/);
  violates((f) => (f.spectrum.lowFrequencyEnergyImages = 1.2), /low-frequency energy of the images 1.2 is not in \[0, 1\]/);
});

test('every job’s report carries its violated invariants as warnings, and is still written', async () => {
  const prepared = await prepareModel({ modelPath: join(__dirname, '..', '..', '..', 'samples', 'fashion-resnet.onnx') });
  const f = consistent();
  f.row.adaptive!.images = 7;
  const report = buildReport({
    command: 'analyse',
    prepared,
    data: null,
    classifier: null,
    status: 'complete',
    sections: f.sections,
  });
  assert.deepEqual(
    report.warnings.filter((w) => w.startsWith('report check failed')),
    ['report check failed: low-pass × PGD: adaptive examples 7 exceeds #Adv 6'],
  );
  const fine = buildReport({
    command: 'analyse',
    prepared,
    data: null,
    classifier: null,
    status: 'complete',
    sections: consistent().sections,
  });
  assert.ok(!fine.warnings.some((w) => w.startsWith('report check failed')));
});
