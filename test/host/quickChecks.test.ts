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
  statusTooltip,
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

  it('status text: robust accuracy beside the clean accuracy, to 0.1 %, and the change in pp with a real minus sign', () => {
    assert.equal(statusText(record('/m', 0.4375, 'b'), record('/m', 0.459, 'a')), '$(shield) Robust 43.8% · clean 90.0% (−2.1 pp)');
    assert.equal(statusText(record('/m', 0.5, 'b'), record('/m', 0.4375, 'a')), '$(shield) Robust 50.0% · clean 90.0% (+6.2 pp)');
    assert.equal(statusText(record('/m', 0.5, 'b'), null), '$(shield) Robust 50.0% · clean 90.0%');
    assert.equal(statusText({ ...record('/m', 0.156, 'b'), cleanTop1: 0.328 }, null), '$(shield) Robust 15.6% · clean 32.8%');
    assert.equal(formatDelta(0.5, 0.5), '±0.0 pp');
    assert.equal(formatDelta(0.5, 0.5004), '±0.0 pp');
    assert.equal(
      statusLabel(record('/m', 0.4375, 'b'), record('/m', 0.459, 'a'), 'net.onnx'),
      'Robustness Lens Quick Attack Check of net.onnx: robust accuracy 43.8% under PGD-10 L∞ ε=8/255 (0.0314) (fixed ε) on 64 images, clean accuracy 90.0% on the same images, −2.1 percentage points since the previous check',
    );
  });

  it("the record takes the verdict's robust accuracy: the strongest bounded white-box attack, with its own clean accuracy", () => {
    const run = (label: string, mode: string, clean: number, attacked: number, gradient = 'analytic') => ({
      label,
      mode,
      targeted: null,
      gradient,
      evaluated: 64,
      clean: { top1Accuracy: clean / 64, top1Correct: clean },
      attacked: { top1Accuracy: attacked / 64, top1Correct: attacked },
    });
    const report = (runs: unknown[]) => fakeReport({ sections: { attacks: { kind: 'attacks', runs } } });
    const pgd = run('PGD-10 L∞ ε=8/255 (0.0314)', 'fixed-eps', 21, 10);
    const r = quickCheckRecord(report([run('FGSM ε=8/255 (0.0314)', 'fixed-eps', 21, 14), pgd]), 'run1');
    assert.deepEqual(
      [r.model, r.robustTop1, r.cleanTop1, r.attack, r.images, r.runId],
      ['/w/models/net.onnx', 10 / 64, 21 / 64, 'PGD-10 L∞ ε=8/255 (0.0314)', 64, 'run1'],
    );
    // When FGSM breaks more, it is the figure (the Runs view's headline says the same), never a query-limited one.
    const fgsm = quickCheckRecord(
      report([run('FGSM ε=8/255 (0.0314)', 'fixed-eps', 21, 5), pgd, run('SimBA', 'query-limited', 21, 0, 'none')]),
      'run2',
    );
    assert.deepEqual([fgsm.attack, fgsm.robustTop1], ['FGSM ε=8/255 (0.0314)', 5 / 64]);
    assert.throws(() => quickCheckRecord(fakeReport(), 'x'), /has no bounded white-box attack at a fixed ε \(runs: none\)/);
    assert.throws(
      () => quickCheckRecord(report([run('SimBA', 'query-limited', 21, 0, 'none')]), 'x'),
      /has no bounded white-box attack at a fixed ε \(runs: SimBA\)/,
    );
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

  it('a check of another suite starts a new series: an old PGD-10 check is never compared with an APGD-CE one', () => {
    const h = new QuickCheckHistory(ws);
    // Written before records had a suite: the legacy FGSM + PGD-10 check.
    h.add(record('/m/a.onnx', 0.4, '1'));
    const apgd = { ...record('/m/a.onnx', 0.3, '2'), attack: 'APGD-CE-10 L∞ ε=8/255 (0.0314)', suite: 'FGSM, APGD-CE-10 L∞' };
    h.add(apgd);
    const first = new QuickCheckHistory(ws).latest('/m/a.onnx')!;
    assert.equal(first.previous, null);
    assert.equal(first.otherAttack, 'FGSM, PGD-10 L∞');
    assert.equal(statusText(first.current, first.previous), '$(shield) Robust 30.0% · clean 90.0%', 'no change in pp across series');
    const tip = statusTooltip(first, 'a.onnx');
    assert.match(tip, /not compared with the previous check, which ran FGSM, PGD-10 L∞ \(another suite\): a new series starts here/);
    assert.match(tip, /APGD-CE .* stronger/);
    h.add({ ...apgd, robustTop1: 0.25, at: '3' });
    const second = new QuickCheckHistory(ws).latest('/m/a.onnx')!;
    assert.deepEqual([second.previous?.robustTop1, second.otherAttack], [0.3, undefined], 'compared within the new series');
    assert.match(statusText(second.current, second.previous), /\(−5\.0 pp\)$/);
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
