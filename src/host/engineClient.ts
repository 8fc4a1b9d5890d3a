/**
 * The host's side of the engine process: forks it on first use, pairs requests and answers by id, and
 * turns a crash or an unexpected exit into a clear error that still carries every section received.
 * The next run after a crash forks a fresh process; an idle process is shut down after a while; dispose
 * kills the whole process group so nothing is left behind. No `vscode` import: unit-tested directly.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, setPriority } from 'node:os';
import type { JobRequest } from '../engine/jobs/prepare';
import type { ReportV1 } from '../engine/report/schema';
import {
  parseEngineToHost,
  reassembleReport,
  type EngineFailure,
  type EngineToHost,
  type HostToEngine,
  type JobKind,
  type JobOptionsByKind,
} from '../protocol/engineMessages';
import { Disposable, MutableDisposable, toDisposable, type IDisposable } from './dispose';
import type { Progress } from '../engine/eval/cleanEval';

export interface EngineClientOptions {
  /** The bundled engine entry (dist/engineProcess.js). */
  enginePath: string;
  /** Extra environment for the engine process. */
  env?: Record<string, string>;
  cwd?: string;
  /** How long the process may take to say `ready` (default 30 s). */
  readyTimeoutMs?: number;
  /** An idle process is stopped after this long (default 5 min; 0 = never). */
  idleTimeoutMs?: number;
  /** The engine's stdout/stderr, line by line (native crash messages land here). */
  onOutput?: (line: string) => void;
  /** A message from the engine that failed validation (it is dropped). */
  onProtocolError?: (reason: string) => void;
}

export interface RunHandlers {
  onProgress?: (p: Progress) => void;
  onLog?: (line: string) => void;
  onSection?: (name: string, section: unknown) => void;
}

export interface EngineRun {
  id: string;
  /** The report, or an EngineRunError. */
  result: Promise<ReportV1>;
  /** Asks the engine to stop after its current batch; the result is then a report marked partial. */
  cancel(): void;
}

export interface EngineExit {
  code: number | null;
  signal: string | null;
}

export class EngineRunError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly details: string | undefined;

  constructor(
    failure: EngineFailure,
    /** The last stage the run reported, if any. */
    readonly stage: string | null,
    /** Every section received before the failure, by name. */
    readonly sections: Record<string, unknown>,
    /** Set when the engine process died under the run. */
    readonly exit: EngineExit | null,
  ) {
    super(failure.message);
    this.name = 'EngineRunError';
    this.code = failure.code;
    this.hint = failure.hint;
    this.file = failure.file;
    this.details = failure.details;
  }

  get crashed(): boolean {
    return this.exit !== null;
  }

  get cancelled(): boolean {
    return this.code === 'CANCELLED';
  }
}

interface Pending {
  handlers: RunHandlers;
  resolve: (r: ReportV1) => void;
  reject: (e: EngineRunError) => void;
  stage: string | null;
  sections: Record<string, unknown>;
  /** Cancel asked before the start reached the engine. */
  cancelBeforeStart: boolean;
  sent: boolean;
  /** The process the run was given to. */
  proc: EngineProcess;
}

interface EngineProcess {
  child: ChildProcess;
  ready: Promise<void>;
  versions: Record<string, string> | null;
  exited: Promise<EngineExit>;
  exit: EngineExit | null;
  /** Why the host is stopping it (then its runs count as cancelled, not crashed). */
  stopping: string | null;
  output: string[];
}

const OUTPUT_TAIL = 30;
/** Unix nice value of the engine process (Windows maps it to a below-normal priority class). */
const ENGINE_NICENESS = 10;

export class EngineClient extends Disposable {
  private proc: EngineProcess | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly idleTimer = this._register(new MutableDisposable<IDisposable>());
  private stopped: Promise<void> | null = null;
  private counter = 0;

  constructor(private readonly opts: EngineClientOptions) {
    super();
  }

  /** The engine process id while one runs. */
  get pid(): number | undefined {
    return this.proc && !this.proc.exit ? this.proc.child.pid : undefined;
  }

  /** Versions the running engine reported in `ready`. */
  get versions(): Record<string, string> | null {
    return this.proc?.versions ?? null;
  }

  /** Starts a job; the engine runs jobs one at a time, so this one may wait for an earlier one. */
  start<K extends JobKind>(kind: K, request: JobRequest, options: JobOptionsByKind[K], handlers: RunHandlers = {}): EngineRun {
    if (this.isDisposed) throw new Error('the engine client is disposed');
    this.clearIdle();
    const id = `${kind}-${++this.counter}-${randomBytes(3).toString('hex')}`;
    const proc = this.ensureProcess();
    const result = new Promise<ReportV1>((resolve, reject) => {
      this.pending.set(id, { handlers, resolve, reject, stage: null, sections: {}, cancelBeforeStart: false, sent: false, proc });
    });
    proc.ready.then(
      () => {
        const p = this.pending.get(id);
        if (!p) return;
        p.sent = true;
        this.post(proc, { type: 'start', id, kind, request, options } as HostToEngine);
        if (p.cancelBeforeStart) this.post(proc, { type: 'cancel', id });
      },
      () => {
        /* the exit handler rejects every pending run */
      },
    );
    return {
      id,
      result,
      cancel: () => {
        const p = this.pending.get(id);
        if (!p) return;
        if (!p.sent) {
          p.cancelBeforeStart = true;
          return;
        }
        if (this.proc && !this.proc.exit) this.post(this.proc, { type: 'cancel', id });
      },
    };
  }

  /** Stops the engine process (politely, then by killing its process group) and fails pending runs; idempotent. */
  // A caller that can wait awaits the process's exit; one holding it as a plain Disposable need not.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override dispose(): Promise<void> {
    // Refuses new runs and clears the idle timer.
    super.dispose();
    this.stopped ??= this.stopProcess('the engine was shut down');
    return this.stopped;
  }

  private ensureProcess(): EngineProcess {
    if (this.proc && !this.proc.exit && !this.proc.stopping) return this.proc;
    const child = fork(this.opts.enginePath, [], {
      // Never inherit the host's flags (a test runner's --import, an inspector port).
      execArgv: [],
      cwd: this.opts.cwd,
      env: {
        ROBUSTNESS_LENS_DEFAULT_THREADS: String(Math.max(1, availableParallelism() - 1)),
        ...process.env,
        ...this.opts.env,
        ELECTRON_RUN_AS_NODE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Its own process group on POSIX, so dispose can kill anything the engine started.
      detached: process.platform !== 'win32',
    });
    // Below the host's priority: a busy engine must not starve the extension host (and the UI) of CPU.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, ENGINE_NICENESS);
      } catch {
        /* not permitted here: run at normal priority */
      }
    }
    let markReady!: () => void;
    let failReady!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    let markExited!: (e: EngineExit) => void;
    const exited = new Promise<EngineExit>((resolve) => {
      markExited = resolve;
    });
    const proc: EngineProcess = { child, ready, versions: null, exited, exit: null, stopping: null, output: [] };
    this.proc = proc;

    const readyTimer = setTimeout(() => {
      this.opts.onOutput?.('engine: no ready message in time; stopping the engine process');
      failReady(new Error('the engine process did not start in time'));
      this.killGroup(proc);
    }, this.opts.readyTimeoutMs ?? 30_000);

    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) this.output(proc, line);
      });
      stream?.on('end', () => {
        if (buffered) this.output(proc, buffered);
        buffered = '';
      });
    }
    child.on('message', (raw: unknown) => {
      const parsed = parseEngineToHost(raw);
      if (!parsed.ok) {
        this.opts.onProtocolError?.(parsed.reason);
        return;
      }
      if (parsed.message.type === 'ready') {
        clearTimeout(readyTimer);
        proc.versions = parsed.message.versions;
        markReady();
        return;
      }
      this.dispatch(parsed.message);
    });
    const onGone = (exit: EngineExit) => {
      if (proc.exit) return;
      proc.exit = exit;
      clearTimeout(readyTimer);
      failReady(new Error('the engine process exited before it was ready'));
      if (this.proc === proc) this.proc = null;
      // Let the last stderr lines (a native crash's message) arrive before reporting.
      setImmediate(() => {
        this.failAll(proc, exit);
        markExited(exit);
      });
    };
    child.on('exit', (code, signal) => onGone({ code, signal }));
    child.on('error', (e) => {
      this.output(proc, `engine: ${e.message}`);
      onGone({ code: null, signal: null });
    });
    return proc;
  }

  private output(proc: EngineProcess, line: string): void {
    proc.output.push(line);
    if (proc.output.length > OUTPUT_TAIL) proc.output.shift();
    this.opts.onOutput?.(line);
  }

  private dispatch(m: Exclude<EngineToHost, { type: 'ready' }>): void {
    const p = this.pending.get(m.id);
    if (!p) {
      this.opts.onProtocolError?.(`${m.type}: no run with id ${m.id}`);
      return;
    }
    const safely = (f: () => void) => {
      try {
        f();
      } catch (e) {
        this.opts.onOutput?.(`engine client: a ${m.type} handler threw: ${(e as Error).message}`);
      }
    };
    switch (m.type) {
      case 'progress':
        p.stage = m.stage;
        safely(() =>
          p.handlers.onProgress?.({
            stage: m.stage,
            done: m.done,
            total: m.total,
            ...(m.fraction !== undefined ? { fraction: m.fraction } : {}),
            ...(m.expected ? { expected: m.expected } : {}),
          }),
        );
        break;
      case 'log':
        safely(() => p.handlers.onLog?.(m.line));
        break;
      case 'section':
        p.sections[m.name] = m.section;
        safely(() => p.handlers.onSection?.(m.name, m.section));
        break;
      case 'done': {
        this.settle(m.id);
        let report: ReportV1;
        try {
          report = reassembleReport(m, p.sections);
        } catch (e) {
          p.reject(new EngineRunError({ code: 'INTERNAL', message: (e as Error).message }, p.stage, p.sections, null));
          break;
        }
        p.resolve(report);
        break;
      }
      case 'failed':
        this.settle(m.id);
        p.reject(new EngineRunError(m.error, p.stage, p.sections, null));
        break;
    }
  }

  private settle(id: string): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.armIdle();
  }

  private failAll(proc: EngineProcess, exit: EngineExit): void {
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    // The engine runs jobs one at a time in the order they were sent: only the earliest pending run was running.
    let running = true;
    for (const [id, p] of [...this.pending]) {
      if (p.proc !== proc) continue;
      const wasRunning = running && p.sent;
      running = false;
      if (proc.stopping) {
        p.reject(new EngineRunError({ code: 'CANCELLED', message: `cancelled: ${proc.stopping}` }, p.stage, p.sections, exit));
      } else {
        const kept = Object.keys(p.sections).length;
        const during = wasRunning ? (p.stage ?? 'start-up') : 'an earlier run (this one had not started)';
        const verb = exit.signal || (exit.code ?? 1) !== 0 ? 'crashed' : 'exited unexpectedly';
        const message = `the engine process ${verb} (${how}) during ${during}; ${kept ? `partial results kept (${kept} section${kept > 1 ? 's' : ''})` : 'no results had arrived yet'}`;
        p.reject(
          new EngineRunError(
            {
              code: 'ENGINE_CRASHED',
              message,
              hint: 'run it again: a fresh engine process starts automatically',
              ...(proc.output.length ? { details: proc.output.join('\n') } : {}),
            },
            p.stage,
            p.sections,
            exit,
          ),
        );
      }
      this.pending.delete(id);
    }
  }

  private post(proc: EngineProcess, m: HostToEngine): void {
    if (proc.exit || !proc.child.connected) return;
    proc.child.send(m, (e) => {
      if (e) this.output(proc, `engine client: could not send ${m.type}: ${e.message}`);
    });
  }

  private async stopProcess(reason: string): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exit) return;
    proc.stopping = reason;
    this.post(proc, { type: 'shutdown' });
    const timer = setTimeout(() => this.killGroup(proc), 1500);
    await proc.exited;
    clearTimeout(timer);
    // The group may hold helpers the engine started; the leader is gone, the group id still names them.
    this.killGroup(proc);
  }

  private killGroup(proc: EngineProcess): void {
    const pid = proc.child.pid;
    if (pid === undefined) return;
    try {
      if (process.platform !== 'win32') process.kill(-pid, 'SIGKILL');
      else proc.child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private armIdle(): void {
    const ms = this.opts.idleTimeoutMs ?? 5 * 60_000;
    if (ms <= 0 || this.isDisposed) return;
    const timer = setTimeout(() => {
      if (this.pending.size === 0) void this.stopProcess('idle');
    }, ms);
    timer.unref();
    this.idleTimer.value = toDisposable(() => clearTimeout(timer));
  }

  private clearIdle(): void {
    this.idleTimer.clear();
  }
}
