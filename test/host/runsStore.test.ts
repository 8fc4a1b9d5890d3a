import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRunFolder,
  deleteRun,
  headline,
  isRunId,
  runTitle,
  listRuns,
  loadRun,
  modelStem,
  runIdFor,
  writeHostMetrics,
  writeRunFailure,
  writeRunReport,
} from '../../src/host/runsStore';
import { REPORT_SCHEMA_ID, type ReportV1 } from '../../src/engine/report/schema';

export function fakeReport(patch: Partial<ReportV1> = {}): ReportV1 {
  return {
    schema: REPORT_SCHEMA_ID,
    schemaVersion: 1,
    id: 'r',
    command: 'attack',
    createdAt: '2025-03-04T05:06:07.000Z',
    status: 'complete',
    model: { path: '/w/models/net.onnx', sha256: 'abc' },
    config: {},
    sections: {},
    ...patch,
  } as ReportV1;
}

const run = (label: string, mode: string, attackedTop1: number, gradient = 'analytic') => ({
  label,
  mode,
  targeted: null,
  gradient,
  evaluated: 100,
  clean: { top1Accuracy: 0.9, top1Correct: 90 },
  attacked: { top1Accuracy: attackedTop1, top1Correct: Math.round(attackedTop1 * 100) },
});

describe('runs store', () => {
  let ws: string;
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'rl-runs-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('names run folders <yyyymmdd-hhmmss>-<model stem> in local time, safe for any model name', () => {
    const t = new Date(2025, 0, 2, 3, 4, 5);
    assert.equal(runIdFor(t, '/w/resnet18.onnx'), '20250102-030405-resnet18');
    assert.equal(runIdFor(t, '/w/my model (v2).onnx'), '20250102-030405-my_model_v2_');
    assert.equal(modelStem('/w/..evil...onnx'), 'evil.');
    assert.ok(isRunId('20250102-030405-resnet18-2'));
    assert.ok(!isRunId('../20250102-030405-x'));
    assert.ok(!isRunId('20250102-030405-a/b'));
  });

  it('creates a fresh folder per run, numbering runs of the same second', () => {
    const t = new Date(2025, 0, 2, 3, 4, 5);
    const a = createRunFolder(ws, '/m/net.onnx', t);
    const b = createRunFolder(ws, '/m/net.onnx', t);
    assert.equal(a.id, '20250102-030405-net');
    assert.equal(b.id, '20250102-030405-net-2');
    assert.equal(a.dir, join(ws, '.robustness', 'runs', a.id));
    assert.deepEqual(readdirSync(join(ws, '.robustness', 'runs')).sort(), [a.id, b.id]);
  });

  it('lists runs newest first; corrupt, other-version and report-less folders are listed as unreadable with the reason', () => {
    const t = (s: number) => new Date(2025, 0, 2, 3, 4, s);
    const good = createRunFolder(ws, '/w/models/net.onnx', t(1));
    writeRunReport(
      good.dir,
      fakeReport({
        sections: {
          attacks: {
            kind: 'attacks',
            // The unbounded DeepFool and the query-limited SimBA break more images: neither is the headline.
            runs: [
              run('FGSM ε=8/255', 'fixed-eps', 0.5),
              run('PGD-10 L∞ ε=8/255 (0.0314)', 'fixed-eps', 0.25),
              run('DeepFool', 'minimal-perturbation', 0),
              run('SimBA-DCT ε=0.2 10000 queries', 'query-limited', 0, 'none'),
            ],
          },
        },
      }),
    );
    writeHostMetrics(good.dir, {
      activationMs: 12,
      eventLoopDelayMaxMs: 20,
      eventLoopDelayP99Ms: 11,
      engineExit: null,
      runSeconds: 3,
      engineVersions: null,
    });
    const corrupt = createRunFolder(ws, '/w/a.onnx', t(2));
    writeFileSync(join(corrupt.dir, 'report.json'), '{"schema": "robustness-lens/report", "schemaVer');
    const newer = createRunFolder(ws, '/w/b.onnx', t(3));
    writeRunReport(newer.dir, fakeReport({ schemaVersion: 2 as 1 }));
    const empty = createRunFolder(ws, '/w/c.onnx', t(4));
    const failed = createRunFolder(ws, '/w/d.onnx', t(5));
    writeRunFailure(failed.dir, {
      schema: 'robustness-lens/failed-run',
      kind: 'analyse',
      modelPath: '/w/d.onnx',
      createdAt: '2025-01-02T03:04:05.000Z',
      error: {
        code: 'ENGINE_CRASHED',
        message: 'the engine process crashed (signal SIGABRT) during attacking; partial results kept (1 section)',
      },
      stage: 'attacking',
      sections: { clean: { kind: 'clean' } },
      engineExit: { code: null, signal: 'SIGABRT' },
    });
    mkdirSync(join(ws, '.robustness', 'runs', 'not-a-run'));

    const runs = listRuns(ws);
    assert.deepEqual(
      runs.map((r) => r.id),
      [failed.id, empty.id, newer.id, corrupt.id, good.id],
    );
    const [f, e, n, c, g] = runs;
    assert.ok(g.readable && f.readable && !e.readable && !n.readable && !c.readable);
    assert.deepEqual(
      [g.model, g.status, g.headline, g.command, g.title],
      ['net', 'complete', 'robust 25.0% (PGD-10 L∞ ε=8/255) · clean 90.0%', 'attack', 'Attacks'],
    );
    assert.deepEqual(
      [f.status, f.headline],
      ['failed', 'the engine process crashed (signal SIGABRT) during attacking; partial results kept (1 section)'],
    );
    assert.equal(n.reason, 'report schema version 2 is not supported (this build reads version 1)');
    assert.match(c.reason, /^report\.json is not valid JSON/);
    assert.equal(e.reason, 'no report.json (the run is in progress, or it was interrupted before it finished)');
    assert.deepEqual(e.createdAt, t(4));
    assert.deepEqual(JSON.parse(readFileSync(join(good.dir, 'host-metrics.json'), 'utf8')).eventLoopDelayMaxMs, 20);
  });

  it('a workspace without runs lists nothing', () => {
    assert.deepEqual(listRuns(ws), []);
  });

  it('headline falls back to clean accuracy, then to the command', () => {
    const clean = { kind: 'clean', top1Accuracy: 0.9125, top1Correct: 73, evaluated: 80 };
    assert.equal(headline(fakeReport({ command: 'eval', sections: { clean: clean as never } })), 'clean 91.3%');
    assert.equal(headline(fakeReport({ command: 'explain' })), 'explain');
  });

  it('titles a run by what it is: the quick check by its one name, from its suite; others by their command', () => {
    const quick = fakeReport({
      sections: {
        attacks: {
          kind: 'attacks',
          runs: [
            { params: { attack: 'fgsm', eps: 8 / 255, mode: 'fixed-eps' } },
            { params: { attack: 'pgd', norm: 'linf', steps: 10, eps: 8 / 255, mode: 'fixed-eps' } },
          ],
        },
      },
    });
    assert.equal(runTitle(quick), 'Quick Attack Check (FGSM, PGD-10 L∞ at ε = 8/255)', 'a check of the legacy suite, by its own suite');
    const apgd = fakeReport({
      sections: {
        attacks: {
          kind: 'attacks',
          runs: [
            { mode: 'fixed-eps', params: { attack: 'fgsm', eps: 8 / 255, mode: 'fixed-eps' } },
            // APGD records no mode parameter (it has one mode): the run's mode says it.
            { mode: 'fixed-eps', params: { attack: 'apgd-ce', norm: 'linf', steps: 10, eps: 8 / 255, eot: 1 } },
          ],
        },
      },
    });
    assert.equal(runTitle(apgd), 'Quick Attack Check (FGSM, APGD-CE-10 L∞ at ε = 8/255)');
    const longer = JSON.parse(JSON.stringify(apgd));
    longer.sections.attacks.runs[1].params.steps = 100;
    assert.equal(runTitle(longer), 'Attacks', 'APGD-CE with other steps is not the quick check');
    assert.equal(runTitle(fakeReport()), 'Attacks');
    assert.equal(runTitle(fakeReport({ command: 'analyse' })), 'Robustness analysis');
    assert.equal(runTitle(fakeReport({ command: 'future' })), 'future');
  });

  it('deletes a run by id and refuses anything else', () => {
    const a = createRunFolder(ws, '/m/net.onnx', new Date(2025, 0, 2, 3, 4, 5));
    deleteRun(ws, a.id);
    assert.deepEqual(readdirSync(join(ws, '.robustness', 'runs')), []);
    assert.throws(() => deleteRun(ws, '..'), /not a run folder name/);
    assert.throws(() => deleteRun(ws, '20250102-030405-x/../..'), /not a run folder name/);
  });

  it('loads a run for a panel: complete, partial, failed with its kept sections, or unreadable', () => {
    const t = (s: number) => new Date(2025, 0, 2, 3, 4, s);
    const a = createRunFolder(ws, '/m/a.onnx', t(1));
    writeRunReport(a.dir, fakeReport());
    assert.deepEqual(loadRun(a.dir), { state: 'complete', report: fakeReport(), sections: {}, message: null });
    const b = createRunFolder(ws, '/m/b.onnx', t(2));
    writeRunReport(b.dir, fakeReport({ status: 'partial' }));
    assert.deepEqual([loadRun(b.dir).state, loadRun(b.dir).message], ['partial', 'cancelled: the report holds what finished']);
    const c = createRunFolder(ws, '/m/c.onnx', t(3));
    writeRunFailure(c.dir, {
      schema: 'robustness-lens/failed-run',
      kind: 'attack',
      modelPath: '/m/c.onnx',
      createdAt: '2025-01-02T03:04:05.000Z',
      error: { code: 'ENGINE_CRASHED', message: 'crashed' },
      stage: null,
      sections: { attacks: { kind: 'attacks' } },
      engineExit: { code: 70, signal: null },
    });
    assert.deepEqual(loadRun(c.dir), { state: 'failed', report: null, sections: { attacks: { kind: 'attacks' } }, message: 'crashed' });
    const d = createRunFolder(ws, '/m/d.onnx', t(4));
    assert.deepEqual(loadRun(d.dir), {
      state: 'failed',
      report: null,
      sections: {},
      message: 'this run cannot be shown: cannot read report.json: ENOENT',
    });
  });
});
