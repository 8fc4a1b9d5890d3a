/**
 * At most one progress message per interval (≤ 10/s by default), so a fast job cannot flood the IPC
 * channel and the extension host with updates. The latest update is never lost: one that arrives inside
 * the interval is held and sent when the interval ends (or by `flush`, before the job's result).
 */
import type { Progress } from '../engine/eval/cleanEval';

export type ProgressUpdate = Progress;

export class ProgressThrottle {
  private lastSent = -Infinity;
  private pending: ProgressUpdate | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (p: ProgressUpdate) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(p: ProgressUpdate): void {
    const elapsed = this.now() - this.lastSent;
    if (elapsed >= this.intervalMs && this.timer === null) {
      this.emit(p);
      return;
    }
    this.pending = p;
    this.timer ??= setTimeout(
      () => {
        this.timer = null;
        this.flush();
      },
      Math.max(0, this.intervalMs - elapsed),
    );
  }

  /** Sends the held update now, if any. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      this.emit(p);
    }
  }

  /** Drops the held update (the job is over and its result supersedes it). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private emit(p: ProgressUpdate): void {
    this.lastSent = this.now();
    this.send(p);
  }
}
