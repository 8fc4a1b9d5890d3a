/**
 * At most one message per interval, so a fast job cannot flood the IPC channel, the extension host and the
 * panel with updates: progress (≤ 10/s by default), and each streamed report section (≤ 1/s: the panel
 * re-renders on every one, and a heat map filled cell by cell would otherwise cost a render per cell). The
 * latest value is never lost: one that arrives inside the interval is held and sent when the interval ends
 * (or by `flush`, before the job's result).
 */
import type { Progress } from '../engine/eval/cleanEval';

export type ProgressUpdate = Progress;

export class LatestThrottle<T> {
  private lastSent = -Infinity;
  private pending: { value: T } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (value: T) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(value: T): void {
    const elapsed = this.now() - this.lastSent;
    if (elapsed >= this.intervalMs && this.timer === null) {
      this.emit(value);
      return;
    }
    this.pending = { value };
    this.timer ??= setTimeout(
      () => {
        this.timer = null;
        this.flush();
      },
      Math.max(0, this.intervalMs - elapsed),
    );
  }

  /** Sends the held value now, if any. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending) {
      const { value } = this.pending;
      this.pending = null;
      this.emit(value);
    }
  }

  /** Drops the held value (the job is over and its result supersedes it). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private emit(value: T): void {
    this.lastSent = this.now();
    this.send(value);
  }
}

/** One LatestThrottle per section name: sections stream independently, each at most once per interval. */
export class SectionThrottle {
  private readonly byName = new Map<string, LatestThrottle<unknown>>();

  constructor(
    private readonly send: (name: string, section: unknown) => void,
    private readonly intervalMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(name: string, section: unknown): void {
    let t = this.byName.get(name);
    if (!t) {
      t = new LatestThrottle<unknown>((s) => this.send(name, s), this.intervalMs, this.now);
      this.byName.set(name, t);
    }
    t.update(section);
  }

  /** Sends every held section now (before a failure: what was computed reaches the panel). */
  flush(): void {
    for (const t of this.byName.values()) t.flush();
  }

  /** Drops the held sections (the finished report carries them whole). */
  dispose(): void {
    for (const t of this.byName.values()) t.dispose();
  }
}
