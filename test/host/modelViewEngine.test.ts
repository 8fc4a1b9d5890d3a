import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelInfoSection } from '../../src/engine/jobs/infoJob';
import { EngineClient, EngineRunError } from '../../src/host/engineClient';
import { sectionKind } from '../../src/protocol/sectionKinds';
import { buildEngineProcess, SAMPLE_MODEL } from './helpers/engineBuild';

/** The model view's request: the engine process describes the model and answers with the report, nothing else. */
describe('the info job through the engine process', () => {
  let client: EngineClient;
  let work: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rl-info-engine-'));
    client = new EngineClient({ enginePath: await buildEngineProcess(), cwd: work, idleTimeoutMs: 0 });
  });
  after(async () => {
    await client.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it("returns the model's description and diagnostics, and writes nothing", async () => {
    const report = await client.start('info', { modelPath: SAMPLE_MODEL, workspaceRoot: work }, {}).result;
    const section = Object.values(report.sections).find((s) => sectionKind(s) === 'model-info') as ModelInfoSection;
    assert.ok(section, 'a model-info section');
    assert.equal(section.info.file, SAMPLE_MODEL);
    assert.equal(section.info.imageInputs.length, 1);
    assert.ok(Array.isArray(section.diagnostics));
    assert.deepEqual(readdirSync(work), [], 'no run folder, nothing written');
  });

  it("fails with the engine's message when the file is not an ONNX model", async () => {
    const file = join(work, 'notes.onnx');
    writeFileSync(file, 'not a model');
    try {
      await client.start('info', { modelPath: file }, {}).result;
      assert.fail('expected a failure');
    } catch (e) {
      assert.ok(e instanceof EngineRunError, String(e));
      assert.equal(e.code, 'MODEL_INVALID');
      assert.match(e.message, /notes\.onnx/);
    } finally {
      rmSync(file);
    }
  });
});
