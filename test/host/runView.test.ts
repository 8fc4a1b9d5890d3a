import { unpackNumericArrays, type Packed } from '../../src/protocol/packedArrays';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportV1 } from '../../src/engine/report/schema';
import { LiveRuns } from '../../src/host/liveRuns';
import { liveContent, RunView, type PanelContent, type PanelWebview } from '../../src/host/runView';
import { isHostToWebview, type HostToWebview } from '../../src/protocol/webviewMessages';

/** A webview that records what it is sent and, like VS Code's, throws once it is disposed. */
class FakeWebview implements PanelWebview {
  readonly sent: HostToWebview[] = [];
  calls = 0;
  disposed = false;

  postMessage(m: Packed<HostToWebview>): Promise<boolean> {
    this.calls++;
    if (this.disposed) throw new Error('Webview is disposed');
    this.sent.push(unpackNumericArrays(m));
    return Promise.resolve(true);
  }

  resourceBase(dir: string): string {
    if (this.disposed) throw new Error('Webview is disposed');
    return `vscode-resource:${dir}`;
  }

  types(): string[] {
    return this.sent.map((m) => (m.type === 'state' ? `state:${m.state}` : m.type === 'init' ? `init:${m.state}` : m.type));
  }
}

const saved = (over: Partial<PanelContent> = {}): PanelContent => ({
  title: 'Robustness: model',
  run: { runId: 'r1', dir: '/runs/r1' },
  compare: null,
  state: 'complete',
  report: null,
  compareReport: null,
  sections: {},
  message: null,
  ...over,
});
const report = (status: ReportV1['status']) => ({ status, sections: { clean: { kind: 'clean' } } }) as unknown as ReportV1;
const info = { runId: 'r1', dir: '/runs/r1', kind: 'analyse', title: 'Robustness: model.onnx', key: 'k' };

describe('RunView: a panel that knows it is disposed', () => {
  it('posts nothing after dispose, and does not throw (progress, sections, the end, a replay asked by the webview)', () => {
    const runs = new LiveRuns();
    const live = runs.start(info);
    const webview = new FakeWebview();
    const view = new RunView(webview, liveContent(live));
    view.follow(live);
    live.progressed({ stage: 'clean', done: 1, total: 4, etaSeconds: null });
    const before = webview.calls;
    assert.ok(before > 0);

    view.dispose();
    webview.disposed = true;
    assert.doesNotThrow(() => {
      live.progressed({ stage: 'clean', done: 2, total: 4, etaSeconds: 3 });
      live.sectionArrived('clean', { kind: 'clean' });
      view.replay();
      live.finished(report('complete'), null);
    });
    assert.equal(webview.calls, before, 'not a single call to the disposed webview');
    assert.equal(live.subscribers, 0, 'disposing the panel unsubscribed it');
  });

  it('a webview that went away before the panel heard of it: the error is reported, not thrown', () => {
    const errors: unknown[] = [];
    const webview = new FakeWebview();
    const view = new RunView(webview, saved(), (e) => errors.push(e));
    webview.disposed = true;
    assert.doesNotThrow(() => view.replay());
    assert.match(String(errors[0]), /Webview is disposed/);
  });

  it('a rejected postMessage is reported, not left unhandled', async () => {
    const errors: unknown[] = [];
    const view = new RunView({ postMessage: () => Promise.reject(new Error('gone')), resourceBase: (d) => d }, saved(), (e) =>
      errors.push(e),
    );
    view.replay();
    await new Promise((r) => setImmediate(r));
    assert.match(String(errors[0]), /gone/);
  });
});

describe('RunView: following a live run', () => {
  it('a panel opened mid-run gets the sections so far and the progress, then the live updates and the result', () => {
    const runs = new LiveRuns();
    const live = runs.start(info);
    live.progressed({ stage: 'clean', done: 4, total: 4, etaSeconds: 0 });
    live.sectionArrived('clean', { kind: 'clean' });
    live.progressed({ stage: 'attacks', done: 2, total: 10, etaSeconds: 30 });

    const webview = new FakeWebview();
    const view = new RunView(webview, liveContent(live));
    view.follow(live);
    assert.deepEqual(webview.types(), ['init:running', 'section', 'progress']);
    assert.deepEqual(webview.sent[2], { type: 'progress', stage: 'attacks', done: 2, total: 10, etaSeconds: 30 });
    assert.equal((webview.sent[0] as { resourceBase: string }).resourceBase, 'vscode-resource:/runs/r1');

    live.progressed({ stage: 'attacks', done: 3, total: 10, etaSeconds: 25 });
    live.sectionArrived('attacks', { kind: 'attacks' });
    const done = report('complete');
    live.finished(done, null);
    assert.deepEqual(webview.types(), ['init:running', 'section', 'progress', 'progress', 'section', 'init:complete']);
    assert.deepEqual((webview.sent[5] as { report: unknown }).report, done);

    // the webview reloads (hidden and shown again): the whole finished state, no stale progress
    webview.sent.length = 0;
    view.replay();
    assert.deepEqual(webview.types(), ['init:complete']);
  });

  it('close mid-run and reopen: the second panel replays the state and follows the run to its end; the first hears nothing', () => {
    const runs = new LiveRuns();
    const live = runs.start(info);
    const first = new FakeWebview();
    const panel1 = new RunView(first, liveContent(live));
    panel1.follow(live);
    live.sectionArrived('clean', { kind: 'clean' });
    live.progressed({ stage: 'attacks', done: 1, total: 10, etaSeconds: null });
    panel1.dispose();
    first.disposed = true;
    live.progressed({ stage: 'attacks', done: 5, total: 10, etaSeconds: 10 });

    const second = new FakeWebview();
    const panel2 = new RunView(second, liveContent(live));
    panel2.follow(live);
    assert.deepEqual(second.types(), ['init:running', 'section', 'progress']);
    assert.deepEqual(second.sent[2], { type: 'progress', stage: 'attacks', done: 5, total: 10, etaSeconds: 10 });
    live.finished(report('complete'), null);
    assert.equal(second.types().at(-1), 'init:complete');
    assert.equal(first.sent.length, 3, 'init, then the first section and progress only');
  });

  it('a failed run keeps its sections on screen with the error; cancel reaches the run only while it runs', () => {
    const runs = new LiveRuns();
    const live = runs.start(info);
    let cancels = 0;
    live.onCancel(() => cancels++);
    const webview = new FakeWebview();
    const view = new RunView(webview, liveContent(live));
    view.follow(live);
    live.sectionArrived('clean', { kind: 'clean' });
    assert.equal(view.cancel(), true);
    assert.equal(cancels, 1);
    live.failed('the engine process crashed', 'failed', () => undefined);
    assert.deepEqual(webview.sent.at(-1), { type: 'state', state: 'failed', message: 'the engine process crashed' });
    assert.equal(view.cancel(), false);
    webview.sent.length = 0;
    view.replay();
    assert.deepEqual(webview.types(), ['init:failed', 'section', 'state:failed']);
    assert.equal(view.following, live, 'the panel still knows its run (for Retry)');
  });

  it('showing saved content stops following the live run', () => {
    const runs = new LiveRuns();
    const live = runs.start(info);
    const webview = new FakeWebview();
    const view = new RunView(webview, liveContent(live));
    view.follow(live);
    view.show(saved({ state: 'complete', report: report('complete') }));
    assert.equal(live.subscribers, 0);
    assert.equal(view.following, null);
    const count = webview.sent.length;
    live.progressed({ stage: 's', done: 1, total: 2, etaSeconds: null });
    assert.equal(webview.sent.length, count);
  });

  it('compare content: its id joins both run ids and both folders are the run dirs', () => {
    const view = new RunView(new FakeWebview(), saved({ compare: { runId: 'r2', dir: '/runs/r2' } }));
    assert.equal(view.id, 'r1+r2');
    assert.deepEqual(view.runDirs, ['/runs/r1', '/runs/r2']);
  });

  it("compare content: the differences found before comparing reach the webview's init message (and pass its check)", () => {
    const webview = new FakeWebview();
    const comparison = [{ severity: 'hard' as const, text: 'A used 500 images (seed 0), B 100 (seed 0)' }];
    new RunView(webview, saved({ compare: { runId: 'r2', dir: '/runs/r2' }, comparison })).replay();
    const init = webview.sent.find((m) => m.type === 'init');
    assert.ok(init && init.type === 'init');
    assert.deepEqual(init.comparison, comparison);
    assert.equal(isHostToWebview(init), true);
    assert.equal(isHostToWebview({ ...init, comparison: [{ severity: 'bad', text: 'x' }] }), false);
    const single = new FakeWebview();
    new RunView(single, saved({ comparison })).replay();
    const alone = single.sent.find((m) => m.type === 'init');
    assert.ok(alone && alone.type === 'init' && !('comparison' in alone), 'a single run carries no comparison');
  });
});
