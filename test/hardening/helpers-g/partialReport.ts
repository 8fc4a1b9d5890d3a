/** What every cancelled run must leave: a report marked partial that readers accept, saved without temp files. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReportEnvelope, type ReportV1 } from '../../../src/engine/report/schema';
import { createRunFolder, listRuns, writeRunReport } from '../../../src/host/runsStore';
import { tempFilesUnder } from './processes';

/** Asserts the report is partial, survives JSON and the envelope check, and saves as a readable run. */
export function assertReadablePartial(report: ReportV1, sections: string[]): void {
  assert.equal(report.status, 'partial');
  assert.deepEqual(Object.keys(report.sections).sort(), [...sections].sort());
  const envelope = checkReportEnvelope(JSON.parse(JSON.stringify(report)));
  assert.ok(envelope.ok, envelope.ok ? '' : envelope.reason);
  const ws = mkdtempSync(join(tmpdir(), 'rl-partial-'));
  try {
    const run = createRunFolder(ws, report.model.path);
    writeRunReport(run.dir, report);
    assert.deepEqual(readdirSync(run.dir), ['report.json']);
    assert.deepEqual(tempFilesUnder(ws), []);
    const [listed] = listRuns(ws);
    assert.ok(listed.readable && listed.status === 'partial', JSON.stringify(listed));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
