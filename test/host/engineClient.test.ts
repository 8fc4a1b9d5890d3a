import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient, EngineRunError } from '../../src/host/engineClient';
import type { AttackJobOptions } from '../../src/engine/jobs/attackJob';
import type { AttacksSection } from '../../src/engine/jobs/attackJob';
import { buildEngineProcess, SAMPLE_MODEL } from './helpers/engineBuild';

const FGSM_PGD = (outDir: string | null): AttackJobOptions => ({
  attacks: [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: {} },
  ],
  criterion: 'top1',
  target: null,
  gradient: 'analytic',
  gallery: 1,
  outDir,
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(p: Promise<unknown>): Promise<EngineRunError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineRunError, `expected an EngineRunError, got ${String(e)}`);
    return e;
  }
  assert.fail('the run should have failed');
}

describe('EngineClient against the real engine process', () => {
  let enginePath: string;
  let work: string;
  const clients: EngineClient[] = [];
  const client = (env?: Record<string, string>) => {
    const c = new EngineClient({ enginePath, cwd: work, idleTimeoutMs: 0, ...(env ? { env } : {}) });
    clients.push(c);
    return c;
  };

  before(async () => {
    enginePath = await buildEngineProcess();
    work = mkdtempSync(join(tmpdir(), 'rl-engine-'));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    rmSync(work, { recursive: true, force: true });
  });

  it('runs a full eval and reports the clean section', async () => {
    const c = client();
    const logs: string[] = [];
    const report = await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 20 } }, {}, { onLog: (l) => logs.push(l) }).result;
    assert.equal(report.status, 'complete');
    assert.equal(report.command, 'eval');
    assert.equal(report.sections.clean?.evaluated, 20);
    assert.deepEqual(logs, ['dataset: 100 images in 10 classes, evaluating 20']);
    assert.equal(c.versions?.node, process.versions.node);
  });

  it('streams progress and the attacks section of an attack run, and writes its gallery', async () => {
    const c = client();
    const progress: { stage: string; done: number; total: number }[] = [];
    const sections: string[] = [];
    const out = join(work, 'attack-run');
    const report = await c.start(
      'attack',
      { modelPath: SAMPLE_MODEL, overrides: { limit: 24, runtime: { batchSize: 8 } } },
      FGSM_PGD(out),
      {
        onProgress: (p) => progress.push(p),
        onSection: (name) => sections.push(name),
      },
    ).result;
    assert.equal(report.status, 'complete');
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), { stage: 'attacking (2 attacks)', done: 24, total: 24 });
    for (let k = 1; k < progress.length; k++) assert.ok(progress[k].done >= progress[k - 1].done);
    assert.deepEqual(sections, ['attacks', 'sanity', 'flags']);
    const attacks = report.sections.attacks as AttacksSection;
    assert.deepEqual(
      attacks.runs.map((r) => r.label.split(' ')[0]),
      ['FGSM', 'PGD-10'],
    );
    assert.equal(attacks.runs[1].evaluated, 24);
  });

  it('queues a second job behind the first and answers both', async () => {
    const c = client();
    const a = c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {});
    const b = c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 30 } }, {});
    const [ra, rb] = await Promise.all([a.result, b.result]);
    assert.equal(ra.sections.clean?.evaluated, 10);
    assert.equal(rb.sections.clean?.evaluated, 30);
  });

  it('cancel mid-run stops after the current batch and returns a partial report', async () => {
    const c = client();
    let cancelled = false;
    const run = c.start('attack', { modelPath: SAMPLE_MODEL, overrides: { limit: 100, runtime: { batchSize: 4 } } }, FGSM_PGD(null), {
      // once the first batch of 4 is through (progress also moves within a batch, after each attack)
      onProgress: (p) => {
        if (!cancelled && p.done >= 4) {
          cancelled = true;
          run.cancel();
        }
      },
    });
    const report = await run.result;
    assert.equal(report.status, 'partial');
    const evaluated = (report.sections.attacks as AttacksSection).runs[0].evaluated;
    assert.ok(evaluated >= 4 && evaluated < 100, `evaluated ${evaluated}`);
  });

  it('cancelling a run that waits behind another drops it with CANCELLED', async () => {
    const c = client();
    const first = c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {});
    const second = c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {});
    second.cancel();
    const secondOutcome = rejection(second.result);
    assert.equal((await first.result).status, 'complete');
    const e = await secondOutcome;
    assert.equal(e.code, 'CANCELLED');
    assert.equal(e.crashed, false);
  });

  it('reports an engine error with its code and message, and the process keeps serving', async () => {
    const c = client();
    const e = await rejection(c.start('eval', { modelPath: join(work, 'missing.onnx') }, {}).result);
    assert.equal(e.code, 'FILE_NOT_FOUND');
    assert.match(e.message, /missing\.onnx/);
    const pid = c.pid;
    assert.equal((await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {}).result).status, 'complete');
    assert.equal(c.pid, pid);
  });

  it('a native crash (SIGABRT) mid-run rejects with the stage, keeps the sections received, and the next run gets a fresh process', async () => {
    const c = client({ ROBUSTNESS_LENS_TEST_FAULT: 'abort:section:1' });
    const run = c.start('attack', { modelPath: SAMPLE_MODEL, overrides: { limit: 16, runtime: { batchSize: 8 } } }, FGSM_PGD(null));
    await new Promise((r) => setTimeout(r, 50));
    const crashedPid = c.pid!;
    const e = await rejection(run.result);
    assert.deepEqual(e.exit, { code: null, signal: 'SIGABRT' });
    assert.equal(e.code, 'ENGINE_CRASHED');
    assert.equal(e.message, 'the engine process crashed (signal SIGABRT) during attacking (2 attacks); partial results kept (1 section)');
    assert.deepEqual(Object.keys(e.sections), ['attacks']);
    assert.equal(e.stage, 'attacking (2 attacks)');
    assert.equal(alive(crashedPid), false);
    const report = await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {}).result;
    assert.equal(report.status, 'complete');
    assert.notEqual(c.pid, crashedPid);
  });

  it('an uncaught exception in the engine fails the run with INTERNAL and the stage, then the process exits and the next run gets a fresh one', async () => {
    const c = client({ ROBUSTNESS_LENS_TEST_FAULT: 'throw:progress:1' });
    const run = c.start('attack', { modelPath: SAMPLE_MODEL, overrides: { limit: 100, runtime: { batchSize: 4 } } }, FGSM_PGD(null));
    await new Promise((r) => setTimeout(r, 50));
    const pid = c.pid!;
    const e = await rejection(run.result);
    assert.equal(e.code, 'INTERNAL');
    assert.equal(e.message, 'uncaught exception in the engine during attacking (2 attacks): test fault: uncaught exception');
    assert.match(e.details!, /^Error: test fault: uncaught exception/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alive(pid), false);
    assert.equal((await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {}).result).status, 'complete');
    assert.notEqual(c.pid, pid);
  });

  it('a process killed from outside mid-run (SIGKILL) is reported as a crash, and the client recovers', async () => {
    const c = client();
    let killed = 0;
    const run = c.start('attack', { modelPath: SAMPLE_MODEL, overrides: { limit: 100, runtime: { batchSize: 4 } } }, FGSM_PGD(null), {
      onProgress: () => {
        if (!killed) {
          killed = c.pid!;
          process.kill(killed, 'SIGKILL');
        }
      },
    });
    const e = await rejection(run.result);
    assert.equal(e.message, 'the engine process crashed (signal SIGKILL) during attacking (2 attacks); no results had arrived yet');
    assert.equal(e.crashed, true);
    assert.equal((await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {}).result).status, 'complete');
  });

  it('stops an idle engine process after the idle timeout and starts a fresh one for the next run', async () => {
    const c = new EngineClient({ enginePath, cwd: work, idleTimeoutMs: 150 });
    clients.push(c);
    await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {}).result;
    const first = c.pid!;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(c.pid, undefined);
    assert.equal(alive(first), false);
    assert.equal((await c.start('eval', { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, {}).result).status, 'complete');
    assert.notEqual(c.pid, first);
  });

  it('dispose stops the engine process (no orphan) and fails the run in progress as cancelled', async () => {
    const c = client();
    const run = c.start('attack', { modelPath: SAMPLE_MODEL, overrides: { limit: 100, runtime: { batchSize: 4 } } }, FGSM_PGD(null));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (c.pid) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    const pid = c.pid!;
    const settled = run.result.then(
      () => null,
      (e: unknown) => e,
    );
    await c.dispose();
    assert.equal(alive(pid), false);
    const outcome = await settled;
    // The shutdown cancels the job: it either answers with its partial report first or is cut off as cancelled.
    if (outcome !== null) assert.equal((outcome as EngineRunError).code, 'CANCELLED');
    assert.throws(() => c.start('eval', { modelPath: SAMPLE_MODEL }, {}), /disposed/);
  });
});
