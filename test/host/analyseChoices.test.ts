/** The preset × image-count choices before an analysis: estimates labelled as such, preselection, and the ETA's priors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyseChoiceTitle,
  ANALYSE_CHOICE_PLACEHOLDER,
  estimatedChoiceItems,
  pendingChoiceItems,
  preselectedChoice,
  sameChoice,
  unestimatedChoiceItems,
} from '../../src/host/analyseChoices';
import { ANALYSE_STAGES, type StageWork } from '../../src/engine/analyse/stageWork';
import type { TimingProbeSection } from '../../src/engine/jobs/estimateJob';

const work = (images: number, gradient: number): StageWork[] => [
  { stage: ANALYSE_STAGES.clean, images, perImage: { forward: 1, gradient: 0 } },
  { stage: ANALYSE_STAGES.passOne, images, perImage: { forward: 100, gradient: gradient } },
];

/** 1 ms per forward pass, 3 ms per gradient pass, 2 s of setup; 150 images configured. */
const probe: TimingProbeSection = {
  kind: 'timing-probe',
  available: 150,
  probeImages: 16,
  probeAccuracy: 0.9,
  forwardSeconds: 0.001,
  gradientSeconds: 0.003,
  gradientUnavailable: null,
  setupSeconds: 2,
  choices: [
    { preset: 'fast', images: 100, all: false, work: work(100, 10) },
    { preset: 'fast', images: 150, all: true, work: work(150, 10) },
    { preset: 'full', images: 100, all: false, work: work(100, 1000) },
    { preset: 'full', images: 150, all: true, work: work(150, 1000) },
  ],
};

describe('analyse choices', () => {
  it('each preset × count with its estimate, labelled as an estimate; "all" runs without a limit', () => {
    const items = estimatedChoiceItems(probe);
    // fast 100: 2 s + 100 × (101 × 1 ms + 10 × 3 ms) = 15.1 s → "≈ 15 s"; full 150: 2 + 150 × (0.101 + 3) = 467 s → "≈ 8 min".
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.preset, i.limit]),
      [
        ['Fast · 100 images', '≈ 15 s (estimate)', 'fast', 100],
        ['Fast · all 150 images', '≈ 20 s (estimate)', 'fast', null],
        ['Full · 100 images', '≈ 5 min (estimate)', 'full', 100],
        ['Full · all 150 images', '≈ 8 min (estimate)', 'full', null],
      ],
    );
    assert.ok(items.every((i) => i.detail.length > 0));
  });

  it("hands the run's ETA each stage's estimated seconds", () => {
    const [fast100] = estimatedChoiceItems(probe);
    assert.deepEqual(
      fast100.priors.map((p) => p.stage),
      [ANALYSE_STAGES.clean, ANALYSE_STAGES.passOne],
    );
    assert.ok(Math.abs(fast100.priors[0].seconds - 0.1) < 1e-9);
    assert.ok(Math.abs(fast100.priors[1].seconds - 100 * (0.1 + 0.03)) < 1e-9);
  });

  it('without a timed gradient there is no estimate, and the item says why', () => {
    const items = estimatedChoiceItems({ ...probe, gradientSeconds: null, gradientUnavailable: 'the graph has a Loop' });
    assert.ok(items.every((i) => i.description === 'no estimate: the graph has a Loop' && i.priors.length === 0));
  });

  it('while the probe runs, and when it fails, every choice can still be made', () => {
    const pending = pendingChoiceItems();
    assert.deepEqual(
      pending.map((i) => [i.label, i.description, i.limit]),
      [
        ['Fast · 100 images', 'estimating…', 100],
        ['Fast · 200 images', 'estimating…', 200],
        ['Fast · all images', 'estimating…', null],
        ['Full · 100 images', 'estimating…', 100],
        ['Full · 200 images', 'estimating…', 200],
        ['Full · all images', 'estimating…', null],
      ],
    );
    assert.ok(unestimatedChoiceItems('no image folder').every((i) => i.description === 'no estimate: no image folder'));
  });

  it("preselects fast at the smallest count on a model's first run, else the settings' preset on every image", () => {
    const items = estimatedChoiceItems(probe);
    assert.equal(items[preselectedChoice(items, true, 'full')].label, 'Fast · 100 images');
    assert.equal(items[preselectedChoice(items, false, 'full')].label, 'Full · all 150 images');
    assert.equal(items[preselectedChoice(items, false, 'fast')].label, 'Fast · all 150 images');
    assert.equal(preselectedChoice([], true, 'fast'), -1);
  });

  it('keeps the highlighted choice when the estimates replace the pending items', () => {
    const items = estimatedChoiceItems(probe);
    const pending = pendingChoiceItems();
    assert.equal(items[sameChoice(items, pending[0])].label, 'Fast · 100 images');
    // 200 is more than the 150 configured: the same preset on every image.
    assert.equal(items[sameChoice(items, pending[4])].label, 'Full · all 150 images');
  });

  it('has a stable title and placeholder (the e2e suite finds the pick by them)', () => {
    assert.equal(analyseChoiceTitle('fresh/fresh.onnx'), 'Analyse fresh/fresh.onnx: preset and images');
    assert.match(ANALYSE_CHOICE_PLACEHOLDER, /estimates/);
  });
});
