/**
 * Runs the engine's jobs one at a time in the order they were started (a second job waits: two jobs at
 * once would fight over the CPU and memory), streams their progress, logs and sections, and answers each
 * with exactly one `done` or `failed`. `cancel` aborts the running job (it stops after the current batch
 * and reports what finished) or drops a waiting one.
 */
import type { JobHooks } from '../engine/jobs/evalJob';
import type { ReportV1 } from '../engine/report/schema';
import { doneMessage, type EngineToHost, type StartMessage } from '../protocol/engineMessages';
import { failureOf } from './failure';
import { LatestThrottle, SectionThrottle, type ProgressUpdate } from './throttle';

export type JobRunner = (start: StartMessage, hooks: JobHooks) => Promise<ReportV1>;

interface Running {
  start: StartMessage;
  controller: AbortController;
  stage: string | null;
}

export class JobQueue {
  private readonly waiting: StartMessage[] = [];
  private running: Running | null = null;
  private drained: (() => void)[] = [];

  constructor(
    private readonly runner: JobRunner,
    private readonly send: (m: EngineToHost) => void,
    private readonly progressIntervalMs = 100,
    private readonly sectionIntervalMs = 1000,
  ) {}

  /** The running job's id and last stage (for crash reports). */
  get current(): { id: string; stage: string | null } | null {
    return this.running ? { id: this.running.start.id, stage: this.running.stage } : null;
  }

  /** Returns false when the id is already queued or running (the message is ignored). */
  start(msg: StartMessage): boolean {
    if (this.running?.start.id === msg.id || this.waiting.some((w) => w.id === msg.id)) return false;
    this.waiting.push(msg);
    if (!this.running) void this.next();
    return true;
  }

  cancel(id: string): void {
    if (this.running?.start.id === id) {
      this.running.controller.abort();
      return;
    }
    const k = this.waiting.findIndex((w) => w.id === id);
    if (k >= 0) {
      this.waiting.splice(k, 1);
      this.send({ type: 'failed', id, error: { code: 'CANCELLED', message: 'cancelled before it started' } });
    }
  }

  cancelAll(): void {
    for (const w of this.waiting.splice(0))
      this.send({ type: 'failed', id: w.id, error: { code: 'CANCELLED', message: 'cancelled before it started' } });
    this.running?.controller.abort();
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private async next(): Promise<void> {
    const start = this.waiting.shift();
    if (!start) {
      for (const resolve of this.drained.splice(0)) resolve();
      return;
    }
    const running: Running = { start, controller: new AbortController(), stage: null };
    this.running = running;
    const { id } = start;
    const lastStreamed = new Map<string, string>();
    const throttle = new LatestThrottle<ProgressUpdate>((p) => this.send({ type: 'progress', id, ...p }), this.progressIntervalMs);
    const sections = new SectionThrottle((name, section) => {
      lastStreamed.set(name, JSON.stringify(section));
      this.send({ type: 'section', id, name, section });
    }, this.sectionIntervalMs);
    const hooks: JobHooks = {
      signal: running.controller.signal,
      onProgress: (p) => {
        running.stage = p.stage;
        throttle.update({
          stage: p.stage,
          done: p.done,
          total: p.total,
          ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
          ...(p.expected ? { expected: { ...p.expected } } : {}),
        });
      },
      onLog: (line) => this.send({ type: 'log', id, line }),
      onSection: (name, section) => sections.update(name, section),
    };
    try {
      const report = await this.runner(start, hooks);
      throttle.flush();
      // A held section goes in the report itself (doneMessage sends whatever changed since it last streamed).
      sections.dispose();
      this.send(doneMessage(id, report, lastStreamed));
    } catch (e) {
      throttle.flush();
      sections.flush();
      this.send({ type: 'failed', id, error: failureOf(e) });
    } finally {
      throttle.dispose();
      sections.dispose();
      this.running = null;
    }
    await this.next();
  }
}
