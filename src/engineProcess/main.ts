/**
 * The engine process: forked by the extension host (child_process.fork, IPC channel; ELECTRON_RUN_AS_NODE=1
 * under desktop VS Code), it runs the engine's jobs so that a native crash, an out-of-memory or a long loop
 * never touches the extension host. Every message in either direction is validated; every failure is
 * answered (`failed`) before the process exits with a non-zero code.
 */
import { TOOL_VERSION } from '../engine/version';
import { parseHostToEngine, type EngineToHost } from '../protocol/engineMessages';
import { failureOf } from './failure';
import { JobQueue } from './jobQueue';
import { runJob } from './runJob';

/** Exit code after an uncaught exception or unhandled rejection (EX_SOFTWARE). */
const EXIT_INTERNAL = 70;

if (!process.send) {
  process.stderr.write('robustness-lens engine process: start it with child_process.fork (it talks over IPC)\n');
  process.exit(2);
}

/**
 * Test-only fault hook, set only by the engine client's tests: ROBUSTNESS_LENS_TEST_FAULT=<abort|throw>:<type>:<n>
 * makes the process fail once the n-th message of that type has been delivered — `abort`: natively
 * (SIGABRT, as a crashing native runtime would; nothing is sent after it); `throw`: an uncaught exception.
 */
const fault = /^(abort|throw):(progress|log|section):(\d+)$/.exec(process.env.ROBUSTNESS_LENS_TEST_FAULT ?? '');
let faultCount = 0;
let aborting = false;

function send(m: EngineToHost, then?: () => void): void {
  if (!process.connected || aborting) return;
  const trip = fault !== null && m.type === fault[2] && ++faultCount === Number(fault[3]);
  if (trip && fault[1] === 'abort') aborting = true;
  process.send!(m, undefined, {}, () => {
    if (trip && fault[1] === 'abort') process.abort();
    if (trip && fault[1] === 'throw') throw new Error('test fault: uncaught exception');
    then?.();
  });
}

const queue = new JobQueue(runJob, (m) => send(m));

process.on('message', (raw: unknown) => {
  const parsed = parseHostToEngine(raw);
  if (!parsed.ok) {
    // A start we cannot read still gets an answer, so the host's run does not wait forever.
    const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && id.length > 0 && id.length <= 100) {
      send({ type: 'failed', id, error: { code: 'USAGE', message: `the engine rejected a message: ${parsed.reason}` } });
    } else process.stderr.write(`engine: rejected a message: ${parsed.reason}\n`);
    return;
  }
  const msg = parsed.message;
  switch (msg.type) {
    case 'start':
      if (!queue.start(msg)) process.stderr.write(`engine: job ${msg.id} is already queued or running; duplicate start ignored\n`);
      break;
    case 'cancel':
      queue.cancel(msg.id);
      break;
    case 'shutdown':
      queue.cancelAll();
      void queue.idle().then(() => process.exit(0));
      break;
  }
});

// The host went away (window closed, extension host killed): nothing is listening, so stop at once.
process.on('disconnect', () => process.exit(0));

function fatal(kind: string, e: unknown): void {
  const failure = failureOf(e);
  const current = queue.current;
  process.stderr.write(`engine: ${kind}: ${failure.details ?? failure.message}\n`);
  const exit = () => process.exit(EXIT_INTERNAL);
  if (current) {
    send(
      {
        type: 'failed',
        id: current.id,
        error: {
          ...failure,
          code: 'INTERNAL',
          message: `${kind} in the engine${current.stage ? ` during ${current.stage}` : ''}: ${failure.message}`,
        },
      },
      exit,
    );
    setTimeout(exit, 2000).unref();
  } else exit();
}
process.on('uncaughtException', (e) => fatal('uncaught exception', e));
process.on('unhandledRejection', (e) => fatal('unhandled rejection', e));

send({
  type: 'ready',
  pid: process.pid,
  versions: {
    robustnessLens: TOOL_VERSION,
    node: process.versions.node,
    modules: process.versions.modules,
    platform: `${process.platform}-${process.arch}`,
  },
});
