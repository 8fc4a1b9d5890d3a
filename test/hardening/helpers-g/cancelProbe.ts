/**
 * Cancels a job in the middle of a batch of a chosen stage and measures how long it takes to stop.
 * The batch time is measured on the same run (between two progress events of the stage), and the abort is
 * timed to land part-way into the next batch, so the latency can be compared with it.
 */
import { performance } from 'node:perf_hooks';
import type { JobHooks } from '../../../src/engine/jobs/evalJob';

export interface CancelPlan {
  /** The stage whose batches are timed (progress stage text starts with it). */
  stage: string;
  /** The progress event of that stage (1-based, at least 3) after which the abort is timed. */
  after: number;
  /** Fraction of the batch time to wait before aborting (default 0.5: mid-batch). */
  into?: number;
}

export interface CancelProbe {
  hooks: JobHooks;
  /** The slowest batch of the stage before the abort (between consecutive progress events after the first), ms. */
  readonly batchMs: number;
  /** From the probe's creation (the job's start) to the stage's first progress: loading plus a first batch, ms. */
  readonly firstBatchMs: number;
  /** Images done according to the last progress event before the abort. */
  readonly doneAtAbort: number;
  /** performance.now() at the abort; NaN if it never happened. */
  readonly abortedAt: number;
  /** False when a busy machine delayed the timer past the batch, so the abort came at the next batch boundary. */
  readonly midBatch: boolean;
  /** Sections reported before the abort. */
  readonly sectionsBeforeAbort: string[];
  /** Milliseconds from the abort until now (call when the job has returned). */
  latencyMs(): number;
}

export function cancelMidBatch(plan: CancelPlan, extra: Partial<JobHooks> = {}): CancelProbe {
  if (plan.after < 3)
    throw new Error('cancelMidBatch: after must be ≥ 3 (batches are timed between progress events, the first batch also loads)');
  const controller = new AbortController();
  const times: number[] = [];
  const sections: string[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const createdAt = performance.now();
  const abort = (midBatch: boolean) => {
    if (timer) clearTimeout(timer);
    timer = null;
    probe.midBatch = midBatch;
    probe.abortedAt = performance.now();
    probe.sectionsBeforeAbort = [...sections];
    controller.abort();
  };
  const probe = {
    batchMs: NaN,
    firstBatchMs: NaN,
    doneAtAbort: 0,
    abortedAt: NaN,
    midBatch: false,
    sectionsBeforeAbort: [] as string[],
    latencyMs: () => performance.now() - probe.abortedAt,
    hooks: {
      signal: controller.signal,
      onSection: (name: string, section: unknown) => {
        if (!controller.signal.aborted) sections.push(name);
        extra.onSection?.(name, section);
      },
      onLog: extra.onLog,
      onProgress: (p: { stage: string; done: number; total: number }) => {
        extra.onProgress?.(p);
        if (controller.signal.aborted || !p.stage.startsWith(plan.stage)) return;
        // The timer did not fire within the batch: abort now, at the boundary, so the job cannot run to the end.
        if (timer) {
          abort(false);
          return;
        }
        probe.doneAtAbort = p.done;
        times.push(performance.now());
        if (times.length !== plan.after) return;
        probe.batchMs = Math.max(...times.slice(2).map((t, i) => t - times[i + 1]));
        probe.firstBatchMs = times[0] - createdAt;
        timer = setTimeout(() => abort(true), (plan.into ?? 0.5) * (times[plan.after - 1] - times[plan.after - 2]));
      },
    } satisfies JobHooks,
  };
  return probe;
}
