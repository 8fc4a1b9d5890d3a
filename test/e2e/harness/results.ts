/**
 * Records what the e2e scenario checked: one line per check (TAP-like "ok"/"not ok"), grouped in named
 * steps with their durations. A step passes when it neither throws nor records a failed check. A step
 * marked `critical` stops the scenario when it fails: nothing after it could mean anything.
 */

export interface CheckRecord {
  step: string;
  name: string;
  ok: boolean;
  detail: string;
}

export interface StepRecord {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  seconds: number;
  error?: string;
}

/** Thrown by a failed critical step; the scenario catches it and only cleans up. */
export class ScenarioAborted extends Error {}

export class Results {
  readonly checks: CheckRecord[] = [];
  readonly steps: StepRecord[] = [];
  readonly timings: Record<string, number> = {};
  /** Figures the extension measured itself (host-metrics.json), in their own units. */
  readonly metrics: Record<string, number> = {};
  private current = '';
  private readonly lines: string[] = [];
  private readonly started = Date.now();

  /** Called with the step's name when a step fails (screenshot, log dump); its own errors are logged, not thrown. */
  onFailure: (step: string) => Promise<void> = async () => {};

  /** `only`: the steps to run (E2E_ONLY), each named or by the start of its name; critical and `always` steps run regardless. Null = all. */
  constructor(private readonly only: readonly string[] | null = null) {}

  private print(line: string): void {
    this.lines.push(line);
    console.log(line);
  }

  log(...parts: unknown[]): void {
    this.print([`[${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)}s]`, ...parts.map(String)].join(' '));
  }

  /** Everything printed so far, for the artefacts. */
  transcript(): string {
    return `${this.lines.join('\n')}\n${this.summary()}\n`;
  }

  check(name: string, ok: boolean, detail = ''): boolean {
    this.checks.push({ step: this.current, name, ok, detail });
    this.print(`${ok ? 'ok' : 'not ok'} - ${this.current}: ${name}${detail ? ` (${detail})` : ''}`);
    return ok;
  }

  /** Records a timing (seconds) that the summary prints; timings are reported, never asserted. */
  time(name: string, seconds: number): void {
    this.timings[name] = Math.round(seconds * 10) / 10;
  }

  metric(name: string, value: number): void {
    this.metrics[name] = value;
  }

  /** `critical`: a failure stops the scenario; `always`: runs whatever E2E_ONLY says (clean-up). */
  async step<T>(name: string, run: () => Promise<T>, options: { critical?: boolean; always?: boolean } = {}): Promise<T | undefined> {
    if (this.only && !options.critical && !options.always && !this.only.some((o) => name.startsWith(o))) {
      this.log(`— step: ${name} (not selected by E2E_ONLY)`);
      return undefined;
    }
    this.current = name;
    const failedBefore = this.failedChecks();
    const t0 = Date.now();
    this.log(`— step: ${name}`);
    let result: T | undefined;
    let error: string | undefined;
    try {
      result = await run();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      this.print(`not ok - ${name}: ${error}`);
    }
    const seconds = (Date.now() - t0) / 1000;
    const failed = error !== undefined || this.failedChecks() > failedBefore;
    this.steps.push({ name, status: failed ? 'failed' : 'passed', seconds, ...(error === undefined ? {} : { error }) });
    if (failed) {
      try {
        await this.onFailure(name);
      } catch (e) {
        this.log(`(could not save failure artefacts for ${name}: ${(e as Error).message})`);
      }
      if (options.critical) throw new ScenarioAborted(`critical step "${name}" failed`);
    }
    return result;
  }

  /** An error outside any step (a missing prerequisite, a bug in the harness): fails the run. */
  harnessError(message: string): void {
    this.print(`not ok - harness: ${message}`);
    this.steps.push({ name: 'harness', status: 'failed', seconds: 0, error: message });
  }

  /** Lists the steps a critical failure left unrun, so the summary shows what was never tried. */
  skip(names: string[]): void {
    for (const name of names) {
      if (!this.steps.some((s) => s.name === name)) this.steps.push({ name, status: 'skipped', seconds: 0 });
    }
  }

  failedChecks(): number {
    return this.checks.filter((c) => !c.ok).length;
  }

  get passed(): boolean {
    return this.steps.length > 0 && this.steps.every((s) => s.status === 'passed');
  }

  summary(): string {
    const lines = ['', 'steps:'];
    for (const s of this.steps)
      lines.push(`  ${s.status.padEnd(7)} ${s.name} (${s.seconds.toFixed(1)} s)${s.error ? ` — ${s.error}` : ''}`);
    lines.push('timings (s):');
    for (const [k, v] of Object.entries(this.timings)) lines.push(`  ${k}: ${v}`);
    if (Object.keys(this.metrics).length) lines.push('measured by the extension:');
    for (const [k, v] of Object.entries(this.metrics)) lines.push(`  ${k}: ${v}`);
    const failed = this.checks.filter((c) => !c.ok);
    if (failed.length) lines.push('failed checks:');
    for (const c of failed) lines.push(`  ${c.step}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
    const failedSteps = this.steps.filter((s) => s.status !== 'passed').length;
    const okChecks = this.checks.length - this.failedChecks();
    lines.push(
      `${okChecks} checks passed, ${this.failedChecks()} failed; ${this.steps.length - failedSteps} of ${this.steps.length} steps passed`,
    );
    return lines.join('\n');
  }
}
