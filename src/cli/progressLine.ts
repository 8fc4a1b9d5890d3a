/** One self-overwriting progress line on stderr (only when stderr is a terminal), with rate and ETA (the run's, once an analyse plan gives priors). */
import type { Progress } from '../engine/eval/cleanEval';
import { RunEta } from '../host/eta';
import type { RunPlanSection } from '../engine/report/sections';

export class ProgressLine {
  /** The current stage's own rate (by its work share where the engine reports one), with an analyse plan's priors once known. */
  private eta = new RunEta();
  private planned = false;
  private lastDraw = 0;
  private drawn = false;
  /** Without a terminal (CI logs, pipes): one line when a stage starts and one when it ends, nothing between. */
  private loggedStage: string | null = null;
  private readonly tty: boolean;

  constructor(private readonly enabled: boolean) {
    this.tty = enabled && process.stderr.isTTY === true;
  }

  /** The run's plan: its stages' estimates become the ETA's priors, priced by the probe's costs. */
  usePlan(plan: RunPlanSection): void {
    // Progress stages only (the gradient graphs' set-up has none of its own).
    const stages = Array.isArray(plan.stages)
      ? plan.stages.filter((s) => s.images > 0).map((s) => ({ stage: s.stage, seconds: s.seconds }))
      : [];
    const g = plan.probe?.gradientSeconds;
    this.planned = true;
    this.eta = new RunEta(stages, { forwardSeconds: plan.probe.forwardSeconds, gradientSeconds: g ?? plan.probe.forwardSeconds });
  }

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = performance.now();
    this.eta.update(p.stage, p.done, p.total, now, p);
    if (now - this.lastDraw < 100 && p.done < p.total) return;
    this.lastDraw = now;
    const left = this.eta.remaining(now);
    const text = `${p.stage}: ${p.done}/${p.total}${left === null ? '' : ` (${this.planned ? 'run' : 'stage'} ETA ${left.toFixed(0)} s)`}`;
    if (this.tty) {
      process.stderr.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else if (p.stage !== this.loggedStage || p.done === p.total) {
      this.loggedStage = p.stage;
      process.stderr.write(`${text}\n`);
    }
  }

  log(line: string): void {
    if (!this.enabled) return;
    if (this.drawn) {
      process.stderr.write('\r\x1b[K');
      this.drawn = false;
    }
    process.stderr.write(`${line}\n`);
  }

  done(): void {
    if (this.drawn) {
      process.stderr.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}
