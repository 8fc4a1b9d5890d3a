/**
 * Runs Classifier.open + scores for a list of models in a child process (sessionChild.ts), one job at a
 * time, with a per-job timeout. A native crash or hang ends that job with outcome 'crashed' / 'timeout'
 * and a fresh child takes the remaining jobs, so one bad model cannot hide the outcome of the others.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { REPO_ROOT } from '../../helpers/shared';

export interface SessionJob {
  id: string;
  modelPath: string;
  /** Command-line style overrides for resolveRunConfig (e.g. { input: { size: 8 } }). */
  overrides?: unknown;
  /** Planar [0,1] pixels of the images to score; omitted: only open the classifier. */
  pixels?: number[];
}

export type SessionOutcome =
  | { ok: true; scores: number[]; kind: string | null; decidedBy: string | null }
  | { ok: false; code: string; message: string }
  | { ok: false; code: 'CRASHED' | 'TIMEOUT'; message: string };

const CHILD = resolve(__dirname, 'sessionChild.ts');

class Child {
  readonly proc: ChildProcess;
  readonly lines: Interface;
  stderr = '';
  exited: Promise<string>;

  constructor() {
    this.proc = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.lines = createInterface({ input: this.proc.stdout! });
    this.exited = new Promise((res) => this.proc.on('exit', (code, signal) => res(signal ? `signal ${signal}` : `exit code ${code}`)));
  }

  /** The outcome of one job, or why the child stopped answering. */
  ask(job: SessionJob, timeoutMs: number): Promise<SessionOutcome> {
    return new Promise((res) => {
      const done = (o: SessionOutcome) => {
        clearTimeout(timer);
        this.lines.off('line', onLine);
        res(o);
      };
      const onLine = (line: string) => {
        const msg = JSON.parse(line) as { id?: string; outcome?: SessionOutcome };
        if (msg.id === job.id && msg.outcome) done(msg.outcome);
      };
      this.lines.on('line', onLine);
      const timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        done({ ok: false, code: 'TIMEOUT', message: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      void this.exited.then((how) =>
        done({ ok: false, code: 'CRASHED', message: `child ended (${how}) while on this job; stderr: ${this.stderr.slice(-2000)}` }),
      );
      this.proc.stdin!.write(`${JSON.stringify(job)}\n`);
    });
  }

  async close(): Promise<void> {
    this.proc.stdin!.end();
    await this.exited;
  }
}

export async function runIsolated(jobs: SessionJob[], timeoutMs = 30_000): Promise<Map<string, SessionOutcome>> {
  const out = new Map<string, SessionOutcome>();
  let child = new Child();
  for (const job of jobs) {
    const outcome = await child.ask(job, timeoutMs);
    out.set(job.id, outcome);
    if (!outcome.ok && (outcome.code === 'CRASHED' || outcome.code === 'TIMEOUT')) {
      await child.exited;
      child = new Child();
    }
  }
  await child.close();
  return out;
}
