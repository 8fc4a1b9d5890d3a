/**
 * One ETA for the whole run, kept current. Before a stage has a rate of its own, its prior (the timing
 * probe's seconds for it, or, once the engine says how many model passes the stage now expects, those
 * passes at the probe's costs) stands in, scaled by how the stages measured so far compared with their priors
 * (a busy machine makes every stage slower alike). Within a stage, the measured rate takes over as the
 * stage advances (by the share of its work done where the engine reports it: its images cost unequally).
 * Stages still to come add their scaled priors. Between progress messages the estimate
 * counts down with the clock, and never below zero. Without priors (jobs with no probe) it is the current
 * stage's own extrapolation, and unknown (null) until the stage has made progress.
 */

import type { Passes, PassCosts } from '../engine/analyse/stageWork';

/** A stage's expected seconds (the estimate's prior), in the order the run goes through them. */
export interface StagePrior {
  stage: string;
  seconds: number;
}

interface CurrentStage {
  stage: string;
  prior: number | null;
  startMs: number;
  /** Share done at the stage's first message (its origin: start-up time is not counted as work). */
  share0: number;
  /** Share of the stage done: its work share where the engine reports one, else images done / total. */
  share: number;
}

/** What a progress message says beyond images done: the stage's work share and the passes it expects. */
export interface StageWorkReport {
  fraction?: number;
  expected?: Passes;
}

export class RunEta {
  private readonly priors: Map<string, number>;
  /** Stages seen so far (finished or current). */
  private readonly seen = new Set<string>();
  /** Finished stages that had a prior: their priors and their measured seconds. */
  private finishedPrior = 0;
  private finishedActual = 0;
  private current: CurrentStage | null = null;
  private estimate: { seconds: number; atMs: number } | null = null;

  private readonly totalPrior: number;

  constructor(
    private readonly stages: readonly StagePrior[] = [],
    /** The timing probe's per-image costs, to price the passes a stage reports (none: its prior stays). */
    private readonly costs: PassCosts | null = null,
  ) {
    this.priors = new Map(stages.map((s) => [s.stage, s.seconds]));
    this.totalPrior = stages.reduce((sum, s) => sum + s.seconds, 0);
  }

  /** A progress message: `done` of `total` in `stage` at `nowMs` (a monotonic clock, in ms), with its work. */
  update(stage: string, done: number, total: number, nowMs: number, work: StageWorkReport = {}): void {
    const share = work.fraction ?? (total > 0 ? Math.min(1, Math.max(0, done / total)) : 0);
    const c = this.current;
    if (!c || c.stage !== stage || share < c.share0) {
      if (c && c.stage !== stage && c.prior !== null) {
        this.finishedPrior += c.prior;
        this.finishedActual += Math.max(0, nowMs - c.startMs) / 1000;
      }
      this.current = { stage, prior: this.priors.get(stage) ?? null, startMs: nowMs, share0: share, share };
      this.seen.add(stage);
    } else {
      c.share = share;
    }
    // The engine's count of the stage's passes replaces the plan's (pass 2 knows from pass 1 what it re-attacks).
    if (work.expected && this.costs) {
      const cur = this.current!;
      cur.prior = work.expected.forward * this.costs.forwardSeconds + work.expected.gradient * this.costs.gradientSeconds;
    }
    const seconds = this.compute(nowMs);
    this.estimate = seconds === null ? null : { seconds, atMs: nowMs };
  }

  /** Seconds left at `nowMs`: the last estimate counted down since it was made; null while unknown. */
  remaining(nowMs: number): number | null {
    if (!this.estimate) return null;
    return Math.max(0, this.estimate.seconds - Math.max(0, nowMs - this.estimate.atMs) / 1000);
  }

  /** How much slower (> 1) or faster than their priors the stages measured so far ran. */
  private scale(nowMs: number): number {
    let prior = this.finishedPrior;
    let actual = this.finishedActual;
    const cur = this.current;
    const f = cur ? fraction(cur) : 0;
    if (cur && cur.prior !== null && f > 0) {
      prior += cur.prior * f;
      actual += Math.max(0, nowMs - cur.startMs) / 1000;
    }
    // A pseudo-observation at the probe's own speed, worth a twentieth of the run: a stage too short for its
    // prior to mean much (the clean pass is mostly image decoding) cannot rescale the whole run alone.
    const c = 0.05 * this.totalPrior;
    return actual > 0 && prior + c > 0 ? (actual + c) / (prior + c) : 1;
  }

  private compute(nowMs: number): number | null {
    const c = this.current;
    if (!c) return null;
    const r = this.scale(nowMs);
    const f = fraction(c);
    const elapsed = Math.max(0, nowMs - c.startMs) / 1000;
    const measured = f > 0 && elapsed > 0 ? (elapsed * (1 - f)) / f : null;
    const fromPrior = c.prior !== null ? r * c.prior * (1 - f) : null;
    // The measured rate earns trust as the stage advances; at its start the prior speaks alone.
    const here = c.share >= 1 ? 0 : measured !== null && fromPrior !== null ? f * measured + (1 - f) * fromPrior : (measured ?? fromPrior);
    if (here === null) return null;
    const later = this.stages.filter((s) => !this.seen.has(s.stage)).reduce((sum, s) => sum + r * s.seconds, 0);
    return here + later;
  }
}

/** Share of the stage done since its origin, in [0, 1]. */
function fraction(c: CurrentStage): number {
  const span = 1 - c.share0;
  return span > 0 ? Math.min(1, Math.max(0, (c.share - c.share0) / span)) : 0;
}

/** "12 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The progress notification's tail: " · about 3 min 5 s left", " · finishing…" past the estimate, "" while unknown. */
export function timeLeftText(seconds: number | null): string {
  if (seconds === null) return '';
  return seconds < 1 ? ' · finishing…' : ` · about ${formatDuration(seconds)} left`;
}

/** "≈ 4 min" for an estimate: rounded to what such a number can honestly claim. */
export function formatEstimate(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `≈ ${Math.max(5, Math.round(s / 5) * 5)} s`;
  if (s < 3600) return `≈ ${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60 / 5) * 5;
  return m === 60 ? `≈ ${h + 1} h` : m ? `≈ ${h} h ${m} min` : `≈ ${h} h`;
}
