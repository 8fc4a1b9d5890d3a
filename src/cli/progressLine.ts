/** One self-overwriting progress line on stderr (only when stderr is a terminal), with rate and ETA. */
import type { Progress } from '../engine/eval/cleanEval';

export class ProgressLine {
  private started = Date.now();
  private lastDraw = 0;
  private drawn = false;
  /** Without a terminal (CI logs, pipes): one line when a stage starts and one when it ends, nothing between. */
  private loggedStage: string | null = null;
  private readonly tty: boolean;

  constructor(private readonly enabled: boolean) {
    this.tty = enabled && process.stderr.isTTY === true;
  }

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && p.done < p.total) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? p.done / elapsed : 0;
    const eta = rate > 0 ? (p.total - p.done) / rate : 0;
    const text = `${p.stage}: ${p.done}/${p.total} (${rate.toFixed(0)}/s, ETA ${eta.toFixed(0)} s)`;
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
