/** The CLI's lines for the masking flags: each fired flag with its explanation and evidence; one line when none fired. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagsLines, formatAttackReport, formatSections } from '../../src/cli/format';
import { maskingFlags } from '../../src/engine/eval/maskingFlags';
import { fixtureReport } from '../webview/fixtures';

const section = maskingFlags({
  repeatability: [
    { model: 'model', images: 8, differing: 0, top1Changed: 0, maxAbsDiff: 0 },
    { model: 'post-averaging', images: 7, differing: 5, top1Changed: 1, maxAbsDiff: 0.0021 },
  ],
  gradients: { images: 10, zero: 0, nan: 1, infinite: 0 },
});

test('each fired flag prints its severity, title, one-line explanation and its evidence', () => {
  const lines = flagsLines(section);
  assert.match(lines[0], /^flags {6}2 warning signs/);
  const [randomized, gradients] = section.flags;
  assert.equal(lines[1], `  WARN  ${randomized.title}: ${randomized.explanation}`);
  assert.equal(lines[2], `        evidence: ${randomized.summary}`);
  assert.match(lines[2], /5 of 7 images scored differently on a second run \(top-1 changed on 1; largest score difference 0\.00210\)/);
  assert.equal(lines[3], `  ERROR ${gradients.title}: ${gradients.explanation}`);
  assert.match(lines[4], /NaN on 1 \(10\.0 %\)/);
  assert.equal(lines.length, 5);
});

test('none fired: one line with how many checks ran; the attack summary prints the section, the analyse tail lists it', () => {
  const quiet = maskingFlags({ repeatability: [{ model: 'model', images: 8, differing: 0, top1Changed: 0, maxAbsDiff: 0 }] });
  assert.deepEqual(flagsLines(quiet), ['flags      none fired (1 check ran)']);
  const r = fixtureReport();
  r.sections = { ...r.sections, flags: section };
  assert.ok(formatAttackReport(r).includes(flagsLines(section).join('\n')));
  assert.ok(!formatAttackReport(r, { flags: false }).includes('warning signs'));
  assert.deepEqual(formatSections(r, ['flags']), flagsLines(section));
});
