/**
 * Crash isolation, the gaps left by test/host/engineClient.test.ts: a native abort in the middle of an
 * analyse run keeps every section that had streamed and is saved as a failed run the runs view lists with
 * them; a run waiting behind the crashed one is failed too (not left hanging); the crashed engine's process
 * group is empty; and retrying both runs works in a fresh process without any reload.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient, EngineRunError } from '../../src/host/engineClient';
import { createRunFolder, listRuns, loadRun, writeRunFailure } from '../../src/host/runsStore';
import type { AnalyseOptions } from '../../src/engine/jobs/analyseJob';
import { buildEngineProcess, SAMPLE_MODEL } from '../host/helpers/engineBuild';
import { descendantsOf, groupMembers } from './helpers-g/processes';

const request = {
  modelPath: SAMPLE_MODEL,
  overrides: { limit: 8, runtime: { executionProvider: 'cpu' as const, threads: 2, batchSize: 8 } },
};
const analyse: AnalyseOptions = {
  preset: 'fast',
  attacks: [{ name: 'fgsm', params: { eps: 0.05 } }],
  K: 2,
  radius: 2,
  directions: 'random',
  cutoff: 8,
  epsilons: [0.05],
  outDir: null,
};

async function failure(p: Promise<unknown>): Promise<EngineRunError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineRunError, String(e));
    return e;
  }
  assert.fail('the run should have failed');
}

describe('a native crash in the middle of an analyse run', () => {
  let ws: string;
  let client: EngineClient;
  let childrenBefore: number[];
  before(async () => {
    ws = mkdtempSync(join(tmpdir(), 'rl-crash-'));
    const enginePath = await buildEngineProcess();
    childrenBefore = descendantsOf(process.pid);
    // SIGABRT once the fourth section (attacks, after the run plan, clean and sanity) has been delivered.
    client = new EngineClient({ enginePath, cwd: ws, idleTimeoutMs: 0, env: { ROBUSTNESS_LENS_TEST_FAULT: 'abort:section:4' } });
  });
  after(async () => {
    await client.dispose();
    assert.deepEqual(descendantsOf(process.pid), childrenBefore, 'no orphan engine process');
    rmSync(ws, { recursive: true, force: true });
  });

  it('is reported with the sections kept, fails the waiting run too, leaves no process, and both retries succeed', async () => {
    const { dir } = createRunFolder(ws, SAMPLE_MODEL);
    const streamed: string[] = [];
    const crashing = client.start('analyse', request, analyse, { onSection: (name) => streamed.push(name) });
    const waiting = client.start('eval', request, {});
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (client.pid) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    const crashedPid = client.pid!;
    const [e, w] = await Promise.all([failure(crashing.result), failure(waiting.result)]);

    assert.deepEqual(e.exit, { code: null, signal: 'SIGABRT' });
    assert.equal(
      e.message,
      'the engine process crashed (signal SIGABRT) during attacks, defences and frequency analyses; partial results kept (4 sections)',
    );
    assert.equal(e.hint, 'run it again: a fresh engine process starts automatically');
    assert.deepEqual(Object.keys(e.sections), ['plan', 'clean', 'sanity', 'attacks']);
    assert.deepEqual(streamed, ['plan', 'clean', 'sanity', 'attacks']);
    assert.equal(
      w.message,
      'the engine process crashed (signal SIGABRT) during an earlier run (this one had not started); no results had arrived yet',
    );
    assert.deepEqual(groupMembers(crashedPid), [], 'nothing of the crashed engine is left');

    // What the extension saves for it: a failed run the runs view lists, and a panel shows with the kept sections.
    writeRunFailure(dir, {
      schema: 'robustness-lens/failed-run',
      kind: 'analyse',
      modelPath: SAMPLE_MODEL,
      createdAt: new Date().toISOString(),
      error: { code: e.code, message: e.message },
      stage: e.stage,
      sections: e.sections,
      engineExit: e.exit,
    });
    const [listed] = listRuns(ws);
    assert.ok(listed.readable && listed.status === 'failed' && listed.headline === e.message);
    assert.deepEqual(Object.keys(loadRun(dir).sections), ['plan', 'clean', 'sanity', 'attacks']);

    // Retry, as the "Retry" action does: same client, a fresh process (which crashes again on its fourth section,
    // so the retried eval — which streams no section — completes, and the analyse is retried in a client without the fault).
    const retriedEval = await client.start('eval', request, {}).result;
    assert.equal(retriedEval.status, 'complete');
    assert.notEqual(client.pid, crashedPid);
    const clean = new EngineClient({ enginePath: await buildEngineProcess(), cwd: ws, idleTimeoutMs: 0 });
    try {
      const retried = await clean.start('analyse', request, analyse).result;
      assert.equal(retried.status, 'complete');
    } finally {
      await clean.dispose();
    }
  });
});
