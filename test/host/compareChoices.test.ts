import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareChoices,
  compareQuestion,
  comparisonNotes,
  needsAsking,
  settingsToMatch,
  type CompareCheck,
  type SideCheck,
} from '../../src/host/compareChoices';
import type { RunDifference } from '../../src/host/runMatch';
import { DEFAULT_SETTINGS } from '../../src/host/settings';

const side = (label: string, reasons: string[] = [], over: Partial<SideCheck> = {}): SideCheck => ({
  label,
  createdAt: '2026-12-06T14:00:00.123Z',
  staleness: { reasons, modelMissing: false },
  canRerun: true,
  ...over,
});
const images: RunDifference = {
  kind: 'images',
  severity: 'hard',
  text: 'A used 500 images (seed 0), B 100 (seed 0)',
  fixableByRerun: true,
};
const dataset: RunDifference = {
  kind: 'dataset',
  severity: 'hard',
  text: 'dataset fingerprint differs: different images',
  fixableByRerun: false,
};
const suite: RunDifference = {
  kind: 'suite',
  severity: 'soft',
  text: 'attacks: A full preset (7 attacks), B fast preset (4 attacks)',
  fixableByRerun: true,
};
const check = (a: SideCheck, b: SideCheck, differences: RunDifference[] = []): CompareCheck => ({ a, b, differences });
const labels = (c: CompareCheck) => compareChoices(c).map((x) => x.label);

describe('compare choices: never compare stale or mismatched runs without asking', () => {
  it('matching, current runs: nothing to ask', () => {
    const c = check(side('a.onnx'), side('b.onnx'));
    assert.equal(needsAsking(c), false);
    assert.deepEqual(comparisonNotes(c), []);
  });

  it('the issue: a stale 500-image full run against a fresh 100-image fast one → re-run the stale side to match the fresh one', () => {
    const c = check(side('a.onnx', ['robustness.json was modified after this run']), side('b.onnx'), [images, suite]);
    assert.equal(needsAsking(c), true);
    assert.deepEqual(compareChoices(c), [
      { label: 'Re-run A (a.onnx) to match B', action: { kind: 'rerun', sides: ['a'], match: 'b' } },
      { label: 'Compare anyway', action: { kind: 'compare-anyway' } },
    ]);
    const q = compareQuestion(c);
    assert.equal(q.message, 'The run of a.onnx is older than its model or configuration, and the runs do not match.');
    assert.equal(
      q.detail,
      [
        'A = a.onnx (run of 2026-12-06T14:00:00Z)',
        'B = b.onnx (run of 2026-12-06T14:00:00Z)',
        '',
        '• A is stale: robustness.json was modified after this run',
        '• A used 500 images (seed 0), B 100 (seed 0)',
        '• attacks: A full preset (7 attacks), B fast preset (4 attacks)',
      ].join('\n'),
    );
    assert.deepEqual(
      comparisonNotes(c).map((n) => n.severity),
      ['stale', 'hard', 'soft'],
    );
  });

  it('both stale: re-run both with the current settings; only one re-runnable: that one alone', () => {
    const both = check(side('a.onnx', ['x']), side('b.onnx', ['y']));
    assert.deepEqual(compareChoices(both)[0], {
      label: 'Re-run both with the current settings',
      action: { kind: 'rerun', sides: ['a', 'b'], match: null },
    });
    assert.match(compareQuestion(both).message, /^The runs of both models are older than their models or configurations\.$/);
    const gone = check(side('a.onnx', ['x'], { canRerun: false }), side('b.onnx', ['y']));
    assert.deepEqual(labels(gone), ['Re-run B (b.onnx)', 'Compare anyway']);
  });

  it('current runs that differ in what a re-run fixes: either side may be re-run to match the other', () => {
    const c = check(side('a.onnx'), side('b.onnx'), [images]);
    assert.deepEqual(labels(c), ['Re-run B (b.onnx) to match A', 'Re-run A (a.onnx) to match B', 'Compare anyway']);
    assert.equal(compareQuestion(c).message, 'These two runs do not match: their numbers are not comparable as they are.');
    const onlySoft = check(side('a.onnx'), side('b.onnx'), [suite]);
    assert.equal(compareQuestion(onlySoft).message, 'These two runs differ: only what they share is comparable.');
  });

  it('differences a re-run cannot remove (other images): no re-run offered', () => {
    assert.deepEqual(labels(check(side('a.onnx'), side('b.onnx'), [dataset])), ['Compare anyway']);
  });

  it('a side already re-run (or not an analysis) is not offered again', () => {
    assert.deepEqual(labels(check(side('a.onnx', [], { canRerun: false }), side('b.onnx'), [images])), [
      'Re-run B (b.onnx) to match A',
      'Compare anyway',
    ]);
    assert.deepEqual(labels(check(side('a.onnx', ['x'], { canRerun: false }), side('b.onnx'), [images])), ['Compare anyway']);
  });

  it('settingsToMatch copies the preset (its suite, not the attacks setting), images, seed and ε', () => {
    const current = { ...DEFAULT_SETTINGS, attacks: ['fgsm'], analysePreset: 'full' as const, limit: 500, epsilons: [2 / 255] };
    assert.deepEqual(settingsToMatch(current, { preset: 'fast', limit: 100, seed: 3, epsilon: 4 / 255 }), {
      ...current,
      analysePreset: 'fast',
      attacks: [],
      limit: 100,
      seed: 3,
      epsilons: [4 / 255],
    });
    const custom = settingsToMatch(current, { preset: null, limit: null, seed: 0, epsilon: null });
    assert.deepEqual([custom.analysePreset, custom.attacks, custom.limit, custom.epsilons], ['full', ['fgsm'], 500, [2 / 255]]);
  });
});

describe('compare choices: a partial run alone', () => {
  it('is listed in the panel but not asked about (the reuse pick marks it already)', () => {
    const partial: RunDifference = {
      kind: 'status',
      severity: 'soft',
      text: 'B is partial (cancelled before the end)',
      fixableByRerun: true,
    };
    const c = check(side('a.onnx'), side('b.onnx'), [partial]);
    assert.equal(needsAsking(c), false);
    assert.deepEqual(comparisonNotes(c), [{ severity: 'soft', text: 'B is partial (cancelled before the end)' }]);
    assert.equal(needsAsking(check(side('a.onnx'), side('b.onnx'), [partial, suite])), true);
  });
});
