/**
 * Remaining time of a stage from its progress so far: the rate since the stage began (the first update of
 * a stage is its origin, so start-up time is not counted as work). Null until there is a rate to go by.
 */
export class EtaEstimator {
  private stage: string | null = null;
  private originMs = 0;
  private originDone = 0;

  update(stage: string, done: number, total: number, nowMs: number): number | null {
    if (stage !== this.stage || done < this.originDone) {
      this.stage = stage;
      this.originMs = nowMs;
      this.originDone = done;
      return null;
    }
    const elapsed = nowMs - this.originMs;
    const progressed = done - this.originDone;
    if (progressed <= 0 || elapsed <= 0 || total <= done) return total <= done ? 0 : null;
    return ((total - done) * elapsed) / progressed / 1000;
  }
}

/** "12 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
