import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JobQueue, type JobRunner } from '../../src/engineProcess/jobQueue';
import { LatestThrottle, type ProgressUpdate } from '../../src/engineProcess/throttle';
import { EngineError } from '../../src/engine/errors';
import type { ReportV1 } from '../../src/engine/report/schema';
import type { EngineToHost, StartMessage } from '../../src/protocol/engineMessages';

const start = (id: string): StartMessage => ({ type: 'start', id, kind: 'eval', request: { modelPath: '/m.onnx' }, options: {} });
const fakeReport = (id: string, status: ReportV1['status'] = 'complete') => ({ id, status, sections: {} }) as unknown as ReportV1;

/** A runner whose jobs finish when the test says so. */
function controlledRunner() {
  const jobs = new Map<string, { finish: () => void; signal: AbortSignal; hooks: Parameters<JobRunner>[1] }>();
  const started: string[] = [];
  const runner: JobRunner = (s, hooks) =>
    new Promise((resolve) => {
      started.push(s.id);
      const finish = () => resolve(fakeReport(s.id, hooks.signal!.aborted ? 'partial' : 'complete'));
      jobs.set(s.id, { finish, signal: hooks.signal!, hooks });
      hooks.signal!.addEventListener('abort', finish);
    });
  return { runner, jobs, started };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('JobQueue', () => {
  it('runs one job at a time, in order, answering each with done', async () => {
    const { runner, jobs, started } = controlledRunner();
    const sent: EngineToHost[] = [];
    const q = new JobQueue(runner, (m) => sent.push(m), 0);
    q.start(start('a'));
    q.start(start('b'));
    await tick();
    assert.deepEqual(started, ['a']);
    jobs.get('a')!.finish();
    await tick();
    assert.deepEqual(started, ['a', 'b']);
    jobs.get('b')!.finish();
    await q.idle();
    assert.deepEqual(
      sent.map((m) => [m.type, (m as { id: string }).id]),
      [
        ['done', 'a'],
        ['done', 'b'],
      ],
    );
  });

  it('cancel aborts the running job (partial report) and drops a waiting one with CANCELLED', async () => {
    const { runner, started } = controlledRunner();
    const sent: EngineToHost[] = [];
    const q = new JobQueue(runner, (m) => sent.push(m), 0);
    q.start(start('a'));
    q.start(start('b'));
    q.cancel('b');
    q.cancel('a');
    await q.idle();
    assert.deepEqual(started, ['a']);
    assert.deepEqual(sent, [
      { type: 'failed', id: 'b', error: { code: 'CANCELLED', message: 'cancelled before it started' } },
      { type: 'done', id: 'a', report: fakeReport('a', 'partial') },
    ]);
  });

  it('streams logs and sections, and turns errors into failed messages with code and hint', async () => {
    const sent: EngineToHost[] = [];
    const q = new JobQueue(
      async (s, hooks) => {
        hooks.onLog!('hello');
        hooks.onSection!('clean', { kind: 'clean' });
        if (s.id === 'bad') throw new EngineError('CONFIG_INVALID', 'robustness.json: bad', { hint: 'fix it', file: '/w/robustness.json' });
        throw new TypeError('boom');
      },
      (m) => sent.push(m),
      0,
    );
    q.start(start('bad'));
    q.start(start('bug'));
    assert.equal(q.start(start('bug')), false, 'a duplicate id is refused');
    await q.idle();
    assert.deepEqual(sent.slice(0, 3), [
      { type: 'log', id: 'bad', line: 'hello' },
      { type: 'section', id: 'bad', name: 'clean', section: { kind: 'clean' } },
      {
        type: 'failed',
        id: 'bad',
        error: { code: 'CONFIG_INVALID', message: 'robustness.json: bad', hint: 'fix it', file: '/w/robustness.json' },
      },
    ]);
    const bug = sent[5] as Extract<EngineToHost, { type: 'failed' }>;
    assert.equal(bug.error.code, 'INTERNAL');
    assert.equal(bug.error.message, 'boom');
    assert.match(bug.error.details!, /^TypeError: boom/);
  });

  it('a finished report names the sections it streamed unchanged instead of sending them again', async () => {
    const sent: EngineToHost[] = [];
    const q = new JobQueue(
      async (s, hooks) => {
        const clean = { kind: 'clean', evaluated: 2 };
        const defences = { kind: 'defences', rows: ['pass 1'] };
        hooks.onSection!('clean', clean);
        hooks.onSection!('defences', defences);
        defences.rows.push('pass 2'); // changed after it was streamed: it goes whole
        return { ...fakeReport(s.id), sections: { clean, defences } } as unknown as ReportV1;
      },
      (m) => sent.push(m),
      0,
    );
    q.start(start('a'));
    await q.idle();
    assert.deepEqual(sent.at(-1), {
      type: 'done',
      id: 'a',
      report: { ...fakeReport('a'), sections: { clean: null, defences: { kind: 'defences', rows: ['pass 1', 'pass 2'] } } },
      streamed: ['clean'],
    });
  });

  it('sends the last progress before the result even when it was held by the throttle', async () => {
    const sent: EngineToHost[] = [];
    const q = new JobQueue(
      async (s, hooks) => {
        for (let done = 1; done <= 5; done++) hooks.onProgress!({ stage: 'clean evaluation', done, total: 5 });
        return fakeReport(s.id);
      },
      (m) => sent.push(m),
      10_000,
    );
    q.start(start('a'));
    await q.idle();
    assert.deepEqual(
      sent.map((m) => (m.type === 'progress' ? m.done : m.type)),
      [1, 5, 'done'],
    );
  });
  it('streams a section at most once per interval: the first at once, the latest held; a result carries a held one whole', async () => {
    const sent: EngineToHost[] = [];
    const q = new JobQueue(
      async (s, hooks) => {
        // A heat map filled cell by cell: 50 updates of one section inside the interval, one of another.
        for (let cells = 1; cells <= 50; cells++) hooks.onSection!('fourierHeatmap', { kind: 'fourier-heatmap', cells });
        hooks.onSection!('clean', { kind: 'clean' });
        return {
          ...fakeReport(s.id),
          sections: { clean: { kind: 'clean' }, fourierHeatmap: { kind: 'fourier-heatmap', cells: 50 } },
        } as unknown as ReportV1;
      },
      (m) => sent.push(m),
      0,
      10_000,
    );
    q.start(start('a'));
    await q.idle();
    assert.deepEqual(
      sent.map((m) => (m.type === 'section' ? [m.name, m.section] : m.type)),
      [['fourierHeatmap', { kind: 'fourier-heatmap', cells: 1 }], ['clean', { kind: 'clean' }], 'done'],
    );
    assert.deepEqual(sent.at(-1), {
      type: 'done',
      id: 'a',
      report: { ...fakeReport('a'), sections: { clean: null, fourierHeatmap: { kind: 'fourier-heatmap', cells: 50 } } },
      streamed: ['clean'],
    });
  });

  it('a failing job first sends the sections the throttle held: nothing computed is lost', async () => {
    const sent: EngineToHost[] = [];
    const q = new JobQueue(
      async (_s, hooks) => {
        hooks.onSection!('certification', { rows: 1 });
        hooks.onSection!('certification', { rows: 2 });
        throw new TypeError('boom');
      },
      (m) => sent.push(m),
      0,
      10_000,
    );
    q.start(start('a'));
    await q.idle();
    assert.deepEqual(
      sent.map((m) => (m.type === 'section' ? m.section : m.type)),
      [{ rows: 1 }, { rows: 2 }, 'failed'],
    );
  });

  it('sections held by the throttle are sent when their interval ends, while the job still runs', async () => {
    const sent: EngineToHost[] = [];
    let release!: () => void;
    const q = new JobQueue(
      async (s, hooks) => {
        hooks.onSection!('fourierHeatmap', { cells: 1 });
        hooks.onSection!('fourierHeatmap', { cells: 2 });
        hooks.onSection!('fourierHeatmap', { cells: 3 });
        await new Promise<void>((r) => (release = r));
        return fakeReport(s.id);
      },
      (m) => sent.push(m),
      0,
      30,
    );
    q.start(start('a'));
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(
      sent.map((m) => (m.type === 'section' ? m.section : m.type)),
      [{ cells: 1 }, { cells: 3 }],
    );
    release();
    await q.idle();
  });
});

describe('LatestThrottle', () => {
  it('sends at most one update per interval and the latest one when the interval ends', async () => {
    let now = 0;
    const sent: ProgressUpdate[] = [];
    const t = new LatestThrottle<ProgressUpdate>(
      (p) => sent.push(p),
      100,
      () => now,
    );
    const p = (done: number) => ({ stage: 's', done, total: 10 });
    t.update(p(1)); // sent at once
    now = 30;
    t.update(p(2)); // held
    now = 60;
    t.update(p(3)); // replaces the held one
    assert.deepEqual(
      sent.map((x) => x.done),
      [1],
    );
    now = 100;
    await new Promise((r) => setTimeout(r, 90));
    assert.deepEqual(
      sent.map((x) => x.done),
      [1, 3],
    );
    now = 150;
    t.update(p(4)); // 50 ms after the last send: held
    t.dispose();
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(
      sent.map((x) => x.done),
      [1, 3],
      'dispose drops the held update',
    );
    now = 400;
    t.update(p(5));
    assert.deepEqual(
      sent.map((x) => x.done),
      [1, 3, 5],
    );
  });
});
