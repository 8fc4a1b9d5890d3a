/** Analyse Training Checkpoints' folder check and options, and the Quick Attack Check's history as the same chart's section. */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointFolder, checkpointsOptions } from '../../src/host/checkpointsFolder';
import { exportHistorySection, type QuickCheckRecord } from '../../src/host/quickChecks';
import { shortHeadline, verdictOf } from '../../src/protocol/verdict';

const record = (sha256: string, at: string, clean: number, fgsm: number, pgd: number, withAttacks = true): QuickCheckRecord => ({
  model: '/w/net.onnx',
  sha256,
  at,
  robustTop1: Math.min(fgsm, pgd),
  cleanTop1: clean,
  attack: pgd <= fgsm ? 'PGD-10 L∞ ε=8/255 (0.0314)' : 'FGSM ε=8/255 (0.0314)',
  images: 64,
  runId: `run-${at}`,
  status: 'complete',
  ...(withAttacks
    ? {
        attacks: [
          { label: 'FGSM ε=8/255 (0.0314)', top1: fgsm },
          { label: 'PGD-10 L∞ ε=8/255 (0.0314)', top1: pgd },
        ],
      }
    : {}),
});

describe('Analyse Training Checkpoints', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-ckpt-folder-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder without .onnx files with a sentence that says what it needs', () => {
    writeFileSync(join(dir, 'model.pt'), 'x');
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'nested', 'deep.onnx'), 'x');
    const r = checkpointFolder(dir);
    assert.equal(r.ok, false);
    assert.match(
      !r.ok ? r.message : '',
      /^Analyse Training Checkpoints: .* holds no \.onnx files .*It needs a folder with the training run's \.onnx checkpoints directly in it\.$/,
    );
  });

  it('lists a folder’s checkpoints in training order, and caches beside them', () => {
    for (const n of ['ckpt-10.onnx', 'ckpt-9.onnx']) writeFileSync(join(dir, n), 'x');
    const r = checkpointFolder(dir);
    assert.ok(r.ok);
    assert.deepEqual(r.ok ? r.listing.files.map((f) => f.name) : [], ['ckpt-9.onnx', 'ckpt-10.onnx']);
    assert.equal(checkpointsOptions(dir).cacheDir, join(dir, '.robustness', 'checkpoint-cache'));
  });
});

describe('the Quick Attack Check history as robustness over exports', () => {
  it('one entry per export (consecutive checks of one file collapse to the latest), oldest first, no τ', () => {
    const s = exportHistorySection(
      [
        record('aaaa1111', '2026-12-01T10:00:00Z', 0.5, 0.3, 0.2),
        record('bbbb2222', '2026-12-02T10:00:00Z', 0.7, 0.4, 0.25),
        record('bbbb2222', '2026-12-02T11:00:00Z', 0.7, 0.4, 0.25),
        record('cccc3333', '2026-12-03T10:00:00Z', 0.9, 0.5, 0.3, false),
      ],
      '/w/net.onnx',
    );
    assert.equal(s.kind, 'checkpoints');
    assert.equal(s.order, 'check-time');
    assert.deepEqual(
      s.entries.map((e) => [e.name, e.modified, e.source]),
      [
        ['#1 aaaa1111', '2026-12-01T10:00:00Z', 'history'],
        ['#2 bbbb2222', '2026-12-02T11:00:00Z', 'history'],
        ['#3 cccc3333', '2026-12-03T10:00:00Z', 'history'],
      ],
    );
    assert.deepEqual(
      s.entries[1].result!.attacks.map((a) => [a.label, a.robustTop1, a.lowFrequencyRatio]),
      [
        ['FGSM ε=8/255 (0.0314)', 0.4, null],
        ['PGD-10 L∞ ε=8/255 (0.0314)', 0.25, null],
      ],
    );
    // A record written before the attacks were kept: its strongest attack alone.
    assert.deepEqual(
      s.entries[2].result!.attacks.map((a) => [a.label, a.robustTop1]),
      [['PGD-10 L∞ ε=8/255 (0.0314)', 0.3]],
    );
    assert.equal(s.entries[0].result!.imagesLowFrequencyRatio, null);
    // The check's own headline stands: the history adds no along-training line to it.
    assert.equal(verdictOf([s], 'complete', 10).alongTraining, null);
    // A checkpoints run's short headline (the Runs view): its last checkpoint's figures.
    const run = { ...s, order: 'number-in-name' as const };
    assert.equal(shortHeadline(verdictOf([run], 'complete', 10)), '#3 cccc3333: robust 30.0% (PGD-10 L∞ ε=8/255) · clean 90.0%');
  });
});
