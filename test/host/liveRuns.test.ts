import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportV1 } from '../../src/engine/report/schema';
import { KEPT_FAILED_RUNS, LiveRuns, type LiveRunEvent, type LiveRunInfo } from '../../src/host/liveRuns';

const info = (runId: string, key = `analyse:${runId}`): LiveRunInfo => ({
  runId,
  dir: `/ws/.robustness/runs/${runId}`,
  kind: 'analyse',
  title: `Robustness: ${runId}`,
  key,
});
const report = (status: ReportV1['status']) => ({ status, sections: { clean: { kind: 'clean' } } }) as unknown as ReportV1;

describe('LiveRuns', () => {
  it('keeps a run by id while it runs: progress, the sections so far, and its cancel', () => {
    const runs = new LiveRuns();
    const run = runs.start(info('r1'));
    assert.equal(runs.get('r1'), run);
    assert.deepEqual(runs.running(), ['r1']);
    run.progressed({ stage: 'clean', done: 3, total: 10, etaSeconds: null });
    run.sectionArrived('clean', { top1: 0.9 });
    run.progressed({ stage: 'attacks', done: 1, total: 4, etaSeconds: 12 });
    run.sectionArrived('attacks', { runs: [] });
    run.sectionArrived('clean', { top1: 0.91 }); // a section sent again replaces the first, in its place
    assert.deepEqual(run.snapshot(), {
      state: 'running',
      report: null,
      sections: [
        ['clean', { top1: 0.91 }],
        ['attacks', { runs: [] }],
      ],
      progress: { stage: 'attacks', done: 1, total: 4, etaSeconds: 12 },
      message: null,
      retryable: false,
    });
    let cancelled = 0;
    run.onCancel(() => cancelled++);
    assert.equal(run.cancel(), true);
    assert.equal(cancelled, 1);
  });

  it('a subscriber closed mid-run hears nothing more; one that comes later starts from the snapshot and follows to the result', async () => {
    const runs = new LiveRuns();
    const run = runs.start(info('r1'));
    const first: LiveRunEvent[] = [];
    const sub = run.subscribe((e) => first.push(e));
    run.progressed({ stage: 'clean', done: 1, total: 2, etaSeconds: null });
    run.sectionArrived('clean', 1);
    sub.dispose(); // the panel was closed
    run.progressed({ stage: 'attacks', done: 1, total: 5, etaSeconds: 9 });
    assert.deepEqual(
      first.map((e) => e.type),
      ['progress', 'section'],
    );
    assert.equal(run.subscribers, 0);

    // reopened from the Runs view
    const snapshot = runs.get('r1')!.snapshot();
    assert.deepEqual(snapshot.progress, { stage: 'attacks', done: 1, total: 5, etaSeconds: 9 });
    assert.deepEqual(snapshot.sections, [['clean', 1]]);
    const second: LiveRunEvent[] = [];
    run.subscribe((e) => second.push(e));
    run.sectionArrived('attacks', 2);
    const done = report('complete');
    run.finished(done, null);
    assert.deepEqual(second, [
      { type: 'section', name: 'attacks', section: 2 },
      { type: 'finished', report: done, state: 'complete', message: null },
    ]);
    assert.equal(await run.settled, done);
    assert.equal(runs.get('r1'), undefined, 'a finished run is read from its folder from now on');
    assert.equal(run.subscribers, 0);
    assert.equal(run.cancel(), false);
  });

  it('updates after the end are ignored; a partial report ends the run as partial', () => {
    const runs = new LiveRuns();
    const run = runs.start(info('r1'));
    const events: LiveRunEvent[] = [];
    run.subscribe((e) => events.push(e));
    run.finished(report('partial'), 'cancelled: the report holds what finished');
    run.progressed({ stage: 'late', done: 1, total: 1, etaSeconds: 0 });
    run.sectionArrived('late', 1);
    run.failed('too late');
    assert.deepEqual(
      events.map((e) => e.type),
      ['finished'],
    );
    assert.equal(run.snapshot().state, 'partial');
    assert.equal(run.snapshot().message, 'cancelled: the report holds what finished');
  });

  it('a crashed run keeps its retry with the run, not its panel: retried once, after every panel was closed and one reopened', async () => {
    const runs = new LiveRuns();
    const run = runs.start(info('r1'));
    const panel = run.subscribe(() => undefined);
    run.sectionArrived('clean', 1);
    let retries = 0;
    run.failed('the engine process crashed', 'failed', () => retries++);
    assert.equal(await run.settled, null);
    panel.dispose(); // closed

    const kept = runs.get('r1');
    assert.ok(kept, 'the failed run stays while it can be retried');
    assert.deepEqual(kept.snapshot(), {
      state: 'failed',
      report: null,
      sections: [['clean', 1]],
      progress: null,
      message: 'the engine process crashed',
      retryable: true,
    });
    kept.subscribe(() => undefined); // reopened
    assert.equal(kept.retry(), true);
    assert.equal(retries, 1);
    assert.equal(kept.retry(), false, 'a second Retry (another notification) does not start a second run');
    assert.equal(retries, 1);
    assert.equal(runs.get('r1'), undefined, 'retried: forgotten (its failure.json stays)');
  });

  it('a failure without a retry (cancelled, bad input) is not kept', () => {
    const runs = new LiveRuns();
    runs.start(info('r1')).failed('cancelled before any result', 'cancelled');
    runs.start(info('r2')).failed('bad config');
    assert.equal(runs.get('r1'), undefined);
    assert.equal(runs.get('r2'), undefined);
  });

  it(`keeps the retries of the latest ${KEPT_FAILED_RUNS} failed runs only`, () => {
    const runs = new LiveRuns();
    const ids = Array.from({ length: KEPT_FAILED_RUNS + 2 }, (_, k) => `r${k}`);
    for (const id of ids) runs.start(info(id)).failed('crashed', 'failed', () => undefined);
    assert.deepEqual(
      ids.filter((id) => runs.get(id)),
      ids.slice(2),
    );
  });

  it('finds the running run of a key (a second start of the same job joins it), not an ended one', () => {
    const runs = new LiveRuns();
    const a = runs.start(info('r1', 'k'));
    runs.start(info('r2', 'other'));
    assert.equal(runs.runningWith('k'), a);
    a.finished(report('complete'), null);
    assert.equal(runs.runningWith('k'), undefined);
  });

  it('one subscriber that throws does not stop the others, nor the run; the error is reported', () => {
    const errors: unknown[] = [];
    const runs = new LiveRuns((e) => errors.push(e));
    const run = runs.start(info('r1'));
    const seen: string[] = [];
    run.subscribe(() => {
      throw new Error('disposed webview');
    });
    run.subscribe((e) => seen.push(e.type));
    run.progressed({ stage: 's', done: 1, total: 2, etaSeconds: null });
    assert.deepEqual(seen, ['progress']);
    assert.equal((errors[0] as Error).message, 'disposed webview');
  });

  it('refuses a run id twice; disposing the registry drops every run and subscriber and refuses new runs', () => {
    const runs = new LiveRuns();
    const run = runs.start(info('r1'));
    run.subscribe(() => undefined);
    assert.throws(() => runs.start(info('r1')), /already registered/);
    runs.dispose();
    assert.equal(runs.get('r1'), undefined);
    assert.equal(run.subscribers, 0);
    assert.throws(() => runs.start(info('r2')), /disposed/);
  });
});
