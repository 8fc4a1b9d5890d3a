import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatDelta,
  QuickCheckHistory,
  quickCheckRecord,
  statusLabel,
  statusText,
  type QuickCheckRecord,
} from '../../src/host/quickChecks';
import { fakeReport } from './runsStore.test';

const record = (model: string, robustTop1: number, at: string): QuickCheckRecord => ({
  model,
  sha256: 'h',
  at,
  robustTop1,
  cleanTop1: 0.9,
  attack: 'PGD-10 L∞ ε=8/255 (0.0314)',
  images: 64,
  runId: `run-${at}`,
  status: 'complete',
});

describe('quick checks', () => {
  let ws: string;
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'rl-qc-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('status text: robust accuracy to 0.1 % and the change in pp with a real minus sign', () => {
    assert.equal(statusText(record('/m', 0.4375, 'b'), record('/m', 0.459, 'a')), '$(shield) Robust 43.8% (−2.1 pp)');
    assert.equal(statusText(record('/m', 0.5, 'b'), record('/m', 0.4375, 'a')), '$(shield) Robust 50.0% (+6.2 pp)');
    assert.equal(statusText(record('/m', 0.5, 'b'), null), '$(shield) Robust 50.0%');
    assert.equal(formatDelta(0.5, 0.5), '±0.0 pp');
    assert.equal(formatDelta(0.5, 0.5004), '±0.0 pp');
    assert.equal(
      statusLabel(record('/m', 0.4375, 'b'), record('/m', 0.459, 'a'), 'net.onnx'),
      'Robustness Lens quick check of net.onnx: robust accuracy 43.8% under PGD-10 L∞ ε=8/255 (0.0314) on 64 images (clean 90.0%), −2.1 percentage points since the previous check',
    );
  });

  it('the record takes the PGD-10 run of the report', () => {
    const report = fakeReport({
      sections: {
        attacks: {
          kind: 'attacks',
          runs: [
            { label: 'FGSM ε=8/255 (0.0314)', clean: { top1Accuracy: 0.9 }, attacked: { top1Accuracy: 0.3 }, evaluated: 64 },
            { label: 'PGD-10 L∞ ε=8/255 (0.0314)', clean: { top1Accuracy: 0.9 }, attacked: { top1Accuracy: 0.125 }, evaluated: 64 },
          ],
        },
      },
    });
    const r = quickCheckRecord(report, 'run1');
    assert.deepEqual([r.model, r.robustTop1, r.cleanTop1, r.images, r.runId], ['/w/models/net.onnx', 0.125, 0.9, 64, 'run1']);
    assert.throws(() => quickCheckRecord(fakeReport(), 'x'), /has no PGD-10 run \(runs: none\)/);
  });

  it('history keeps checks per model across instances and compares with the previous check of the same model', () => {
    const h = new QuickCheckHistory(ws);
    assert.equal(h.latest('/m/a.onnx'), null);
    h.add(record('/m/a.onnx', 0.4, '1'));
    h.add(record('/m/b.onnx', 0.9, '2'));
    h.add(record('/m/a.onnx', 0.35, '3'));
    const again = new QuickCheckHistory(ws);
    const latest = again.latest('/m/a.onnx')!;
    assert.deepEqual([latest.current.robustTop1, latest.previous?.robustTop1], [0.35, 0.4]);
    assert.equal(again.latest('/m/b.onnx')!.previous, null);
    assert.equal(JSON.parse(readFileSync(join(ws, '.robustness', 'quick-checks.json'), 'utf8')).checks.length, 3);
  });

  it('keeps the last 50 checks per model', () => {
    const h = new QuickCheckHistory(ws);
    for (let k = 0; k < 55; k++) h.add(record('/m/a.onnx', k / 100, String(k)));
    h.add(record('/m/b.onnx', 1, 'b'));
    const a = new QuickCheckHistory(ws).of('/m/a.onnx');
    assert.equal(a.length, 50);
    assert.equal(a[0].at, '5');
  });

  it('a damaged history file is reported and replaced, never fatal', () => {
    mkdirSync(join(ws, '.robustness'));
    writeFileSync(join(ws, '.robustness', 'quick-checks.json'), '{"version": 1, "checks": [');
    const problems: string[] = [];
    const h = new QuickCheckHistory(ws, (m) => problems.push(m));
    assert.equal(h.latest('/m/a.onnx'), null);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /quick-checks\.json is unreadable/);
    h.add(record('/m/a.onnx', 0.5, '1'));
    assert.equal(new QuickCheckHistory(ws).of('/m/a.onnx').length, 1);
  });
});
