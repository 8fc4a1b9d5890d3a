/**
 * Reports are never half-written, and a bad one never breaks the runs view: atomic writes survive a crash
 * at the worst moment (between the write and the rename), and every kind of broken, foreign or other-version
 * report.json in .robustness/runs is listed as unreadable with its reason while the good runs stay listed.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_SCHEMA_ID, type ReportV1 } from '../../src/engine/report/schema';
import { writeFileAtomic } from '../../src/engine/util/atomicWrite';
import { createRunFolder, listRuns, loadRun, readRunReport, writeRunReport } from '../../src/host/runsStore';
import { runTsChild } from './helpers-g/child';

const CRASH_CHILD = join(__dirname, 'helpers-g', 'atomicCrash.ts');

function report(patch: Partial<ReportV1> = {}): ReportV1 {
  return {
    schema: REPORT_SCHEMA_ID,
    schemaVersion: 1,
    id: 'r',
    command: 'eval',
    createdAt: '2025-03-04T05:06:07.000Z',
    status: 'complete',
    model: { path: '/w/net.onnx' },
    config: {},
    sections: { clean: { kind: 'clean', top1Accuracy: 0.75 } },
    ...patch,
  } as ReportV1;
}

describe('atomic writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a crash between the write and the rename leaves the old report whole, and readers never see the new half', async () => {
    const ws = dir;
    const run = createRunFolder(ws, '/w/net.onnx');
    writeRunReport(run.dir, report({ status: 'partial' }));
    const before = readFileSync(join(run.dir, 'report.json'), 'utf8');
    const next = JSON.stringify(report(), null, 2);
    const { signal, result } = await runTsChild(CRASH_CHILD, [join(run.dir, 'report.json'), next]);
    assert.equal(signal, 'SIGKILL');
    assert.equal(result, null, 'the child died before the rename');
    assert.equal(readFileSync(join(run.dir, 'report.json'), 'utf8'), before);
    // The fully written temp file stays behind under a hidden name; no reader looks at it.
    const temps = readdirSync(run.dir).filter((f) => f !== 'report.json');
    assert.equal(temps.length, 1);
    assert.match(temps[0], /^\.report\.json\.\d+\.[0-9a-f]{8}\.tmp$/);
    assert.equal(readFileSync(join(run.dir, temps[0]), 'utf8'), next);
    const [listed] = listRuns(ws);
    assert.ok(listed.readable && listed.status === 'partial', 'the listing reads the old report');
    assert.equal(loadRun(run.dir).state, 'partial');
  });

  it('a failed write removes its temp file and keeps the old content', () => {
    const target = join(dir, 'report.json');
    writeFileAtomic(target, 'old');
    mkdirSync(join(dir, 'blocker'));
    // Renaming a file over a directory fails: the write must clean up after itself.
    assert.throws(() => writeFileAtomic(join(dir, 'blocker'), 'new'), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    assert.deepEqual(readdirSync(dir).sort(), ['blocker', 'report.json']);
    assert.equal(readFileSync(target, 'utf8'), 'old');
  });
});

describe('the runs listing with broken reports', () => {
  let ws: string;
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'rl-broken-'));
  });
  afterEach(() => {
    chmodSync(ws, 0o755);
    rmSync(ws, { recursive: true, force: true });
  });

  const good = JSON.stringify(report(), null, 2);
  /** Each case: what report.json holds, and the reason the listing must give. */
  const cases: [string, string | null, string | RegExp][] = [
    ['empty file', '', /^report\.json is not valid JSON/],
    ['cut at 10 %', good.slice(0, Math.floor(good.length * 0.1)), /^report\.json is not valid JSON/],
    ['cut at 50 %', good.slice(0, Math.floor(good.length * 0.5)), /^report\.json is not valid JSON/],
    ['cut one byte short', good.slice(0, -1), /^report\.json is not valid JSON/],
    ['binary garbage', '\u0000\u00ff\u0013PNG\r\n', /^report\.json is not valid JSON/],
    ['JSON null', 'null', 'not a JSON object'],
    ['a JSON string', '"report"', 'not a JSON object'],
    ["another tool's JSON", '{"name": "package", "version": "1.0.0"}', 'not a Robustness Lens report (schema is undefined)'],
    [
      'an older version',
      JSON.stringify(report({ schemaVersion: 0 as 1 })),
      'report schema version 0 is not supported (this build reads version 1)',
    ],
    [
      'a newer version',
      JSON.stringify(report({ schemaVersion: 3 as 1 })),
      'report schema version 3 is not supported (this build reads version 1)',
    ],
    ['no sections', JSON.stringify({ ...report(), sections: undefined }), 'report lacks "sections"'],
    [
      'attacks that are not a list',
      JSON.stringify(report({ sections: { attacks: { kind: 'attacks', runs: 'many' } } })),
      /^report\.json could not be read: /,
    ],
    ['a directory named report.json', null, /^cannot read report\.json: EISDIR/],
  ];

  it('lists every broken report as unreadable with its reason, and the good runs beside them', () => {
    const t = (s: number) => new Date(2025, 0, 2, 3, 4, s);
    const ok = createRunFolder(ws, '/w/good.onnx', t(0));
    writeRunReport(ok.dir, report());
    cases.forEach(([, content], k) => {
      const run = createRunFolder(ws, `/w/case${k}.onnx`, t(k + 1));
      if (content === null) mkdirSync(join(run.dir, 'report.json'));
      else writeFileSync(join(run.dir, 'report.json'), content);
    });
    const runs = listRuns(ws);
    assert.equal(runs.length, cases.length + 1);
    const byName = (stem: string) => runs.find((r) => r.id.endsWith(`-${stem}`))!;
    assert.ok(byName('good').readable);
    cases.forEach(([what, , reason], k) => {
      const r = byName(`case${k}`);
      assert.equal(r.readable, false, what);
      if (r.readable) return;
      if (typeof reason === 'string') assert.equal(r.reason, reason, what);
      else assert.match(r.reason, reason, what);
      // Opening it in a panel explains instead of throwing (a report of the right version is handed to the panel as it is).
      const loaded = loadRun(r.dir);
      if (what !== 'attacks that are not a list') assert.deepEqual([loaded.state, loaded.report], ['failed', null], what);
    });
  });

  it(
    'an unreadable report.json (no permission) is listed with the reason',
    { skip: process.getuid?.() === 0 ? 'root reads every file' : false },
    () => {
      const run = createRunFolder(ws, '/w/locked.onnx');
      writeRunReport(run.dir, report());
      chmodSync(join(run.dir, 'report.json'), 0o000);
      const [r] = listRuns(ws);
      assert.deepEqual(r.readable ? null : r.reason, 'cannot read report.json: EACCES');
      assert.deepEqual(readRunReport(run.dir), { ok: false, reason: 'cannot read report.json: EACCES' });
    },
  );

  it(
    'an unreadable runs folder lists nothing instead of failing',
    { skip: process.getuid?.() === 0 ? 'root reads every folder' : false },
    () => {
      createRunFolder(ws, '/w/net.onnx');
      chmodSync(join(ws, '.robustness', 'runs'), 0o000);
      try {
        assert.deepEqual(listRuns(ws), []);
      } finally {
        chmodSync(join(ws, '.robustness', 'runs'), 0o755);
      }
    },
  );
});
