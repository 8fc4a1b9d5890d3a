import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runEvalJob } from '../../src/engine/jobs/evalJob';
import { checkReportEnvelope } from '../../src/engine/report/schema';
import { writeFileAtomic } from '../../src/engine/util/atomicWrite';
import { REPO_ROOT } from '../helpers/shared';

test('a written report reads back as v1; other files and other versions are refused with a reason', async () => {
  const report = await runEvalJob({
    modelPath: resolve(REPO_ROOT, 'samples/fashion-resnet.onnx'),
    overrides: { limit: 10, runtime: { executionProvider: 'cpu' } },
  });
  const dir = mkdtempSync(join(tmpdir(), 'rl-report-'));
  try {
    writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report));
    assert.deepEqual(readdirSync(dir), ['report.json'], 'no temporary file is left behind');
    const back = checkReportEnvelope(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
    assert.ok(back.ok && back.report.sections.clean?.evaluated === 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(checkReportEnvelope({ ...report, schemaVersion: 2 }), {
    ok: false,
    reason: 'report schema version 2 is not supported (this build reads version 1)',
  });
  assert.deepEqual(checkReportEnvelope([1, 2]).ok, false);
  assert.match((checkReportEnvelope({ schema: 'other' }) as { reason: string }).reason, /not a Robustness Lens report/);
  const { sections: _s, ...noSections } = report;
  assert.deepEqual(checkReportEnvelope(noSections), { ok: false, reason: 'report lacks "sections"' });
});

test('an exclusive atomic write publishes the whole file once and never replaces an existing one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-atomic-'));
  try {
    const file = join(dir, 'robustness.json');
    writeFileAtomic(file, '{"images": "../digits"}\n', { exclusive: true });
    assert.equal(readFileSync(file, 'utf8'), '{"images": "../digits"}\n');
    assert.throws(
      () => writeFileAtomic(file, '{}', { exclusive: true }),
      (e: NodeJS.ErrnoException) => e.code === 'EEXIST',
    );
    assert.equal(readFileSync(file, 'utf8'), '{"images": "../digits"}\n', 'the existing file is untouched');
    assert.deepEqual(readdirSync(dir), ['robustness.json'], 'no temporary file is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
