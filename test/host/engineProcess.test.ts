import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { buildEngineProcess, SAMPLE_MODEL } from './helpers/engineBuild';
import { JOB_KINDS } from '../../src/protocol/jobKinds';

/** The engine process speaking raw IPC, as a hostile or buggy host would. */
describe('engine process message hardening', () => {
  let child: ChildProcess;
  const received: Record<string, unknown>[] = [];
  let stderr = '';
  const waitFor = (pred: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setInterval(() => {
        const hit = received.find(pred);
        if (hit) {
          clearInterval(t);
          resolve(hit);
        }
        if (child.exitCode !== null) {
          clearInterval(t);
          reject(new Error(`engine exited ${child.exitCode}: ${stderr}`));
        }
      }, 5);
    });

  before(async () => {
    child = fork(await buildEngineProcess(), [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('message', (m) => received.push(m as Record<string, unknown>));
    await waitFor((m) => m.type === 'ready');
  });
  after(() => {
    child.kill('SIGKILL');
  });

  it('answers a malformed start with failed (the reason), logs junk without an id, and keeps serving', async () => {
    child.send({ type: 'start', id: 'bad-1', kind: 'shell', request: { modelPath: '/bin/sh' }, options: {} });
    child.send({ type: 'start', id: 'bad-2', kind: 'eval', request: { modelPath: SAMPLE_MODEL, overrides: { images: 42 } }, options: {} });
    child.send({ hello: 'world' });
    child.send('just a string');
    assert.deepEqual(await waitFor((m) => m.id === 'bad-1'), {
      type: 'failed',
      id: 'bad-1',
      error: {
        code: 'USAGE',
        message: `the engine rejected a message: start: kind must be one of ${JOB_KINDS.join(', ')} (got "shell")`,
      },
    });
    assert.deepEqual(await waitFor((m) => m.id === 'bad-2'), {
      type: 'failed',
      id: 'bad-2',
      error: {
        code: 'USAGE',
        message: 'the engine rejected a message: start: request.overrides.images must be a non-empty string of at most 4096 characters',
      },
    });
    child.send({ type: 'start', id: 'good', kind: 'eval', request: { modelPath: SAMPLE_MODEL, overrides: { limit: 10 } }, options: {} });
    const done = await waitFor((m) => m.id === 'good' && (m.type === 'done' || m.type === 'failed'));
    assert.equal(done.type, 'done');
    assert.ok(stderr.includes('engine: rejected a message: (no type): unknown message type undefined\n'), stderr);
    assert.ok(stderr.includes('engine: rejected a message: (no type): message must be an object\n'), stderr);
  });

  it('exits when the host disconnects (no orphan after the extension host dies)', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.disconnect();
    assert.equal(await exited, 0);
  });
});
