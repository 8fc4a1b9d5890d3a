import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SECTION_KINDS, isKnownKind, sectionKind } from '../../src/protocol/sectionKinds';
import { formatAttackReport, formatEvalReport, formatSections } from '../../src/cli/format';
import { formatDefences, formatFrequency, formatSweeps } from '../../src/cli/formatAnalyse';
import { fixtureReport } from '../webview/fixtures';

describe('section kinds', () => {
  it('are listed once, and only own names count as known', () => {
    assert.deepEqual(SECTION_KINDS, [
      'clean',
      'attacks',
      'defences',
      'sweeps',
      'occluded-frequency',
      'rct',
      'spectra',
      'model-info',
      'sanity',
      'per-image',
      'certification',
      'fourier-heatmap',
      'inversion',
      'robustness-curves',
      'flags',
      'checkpoints',
      'run-plan',
    ]);
    for (const kind of SECTION_KINDS) assert.ok(isKnownKind(kind));
    for (const kind of ['toString', '__proto__', 'certified-radius', null]) assert.equal(isKnownKind(kind), false, String(kind));
    assert.equal(sectionKind({ kind: 'rct' }), 'rct');
    assert.equal(sectionKind([]), null);
  });

  it('the CLI formatters by kind print what the terminal prints of a full analyse report', () => {
    const r = fixtureReport();
    const analyseTail = [...formatDefences(r), ...formatSweeps(r), ...formatFrequency(r)];
    assert.ok(analyseTail.length > 20, 'the fixture has every section');
    assert.deepEqual(formatSections(r, ['defences', 'sweeps', 'occluded-frequency', 'rct', 'spectra']), analyseTail);
    assert.ok(formatAttackReport(r).includes(formatSections(r, ['attacks']).join('\n')));
    assert.ok(formatEvalReport(r).includes(formatSections(r, ['clean']).join('\n')));
  });

  it('sections of unknown kinds are skipped; sections are found by kind, not by key', () => {
    const r = fixtureReport();
    const moved = { ...r, sections: { future: { kind: 'certified-radius' }, d: r.sections.defences } };
    assert.deepEqual(formatSections(moved), formatDefences(r));
  });
});
