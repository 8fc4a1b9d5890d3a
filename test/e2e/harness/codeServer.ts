/**
 * code-server (VS Code 1.100 in a browser, installed by scripts/e2e/install-code-server.sh): installing a
 * .vsix as a user would, starting the server in its own process group, and stopping all of it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Scratch } from './scratch';

export interface CodeServer {
  port: number;
  /** Workbench URL with the scratch workspace open. */
  url: string;
  /** Workbench URL with another folder open (the same server serves any folder). */
  urlFor(folder: string): string;
  /** Seconds from spawn until /healthz answered. */
  startupSeconds: number;
  output(): string;
  stop(): Promise<void>;
}

function baseArgs(scratch: Scratch, userData = scratch.userData): string[] {
  return ['--user-data-dir', userData, '--extensions-dir', scratch.extensions];
}

export interface ServerOptions {
  /** Folder opened by `url` (default: the scratch workspace). */
  workspace?: string;
  /** VS Code user data (default: the scratch's); a second server needs its own. */
  userData?: string;
  /** Keep workspace trust on (default off, as in CI: no trust prompt). Restricted Mode needs it on. */
  workspaceTrust?: boolean;
}

/** `code-server --install-extension`; returns the installed extension's folder. */
export function installExtension(bin: string, scratch: Scratch, vsix: string, extensionId: string): string {
  const run = spawnSync(bin, [...baseArgs(scratch), '--install-extension', vsix], { env: scratch.env, encoding: 'utf8', timeout: 180_000 });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.status !== 0) throw new Error(`code-server --install-extension ${vsix} exited with ${run.status ?? run.signal}: ${output}`);
  const prefix = `${extensionId.toLowerCase()}-`;
  const folder = readdirSync(scratch.extensions).find((f) => f.toLowerCase().startsWith(prefix));
  if (!folder)
    throw new Error(`after installing ${vsix}, no folder ${prefix}<version> in ${scratch.extensions} (installer said: ${output})`);
  return `${scratch.extensions}/${folder}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `signal` to the whole process group (code-server, its extension host and whatever that spawned). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startCodeServer(
  bin: string,
  scratch: Scratch,
  options: ServerOptions = {},
  startupTimeoutMs = 60_000,
): Promise<CodeServer> {
  const port = await freePort();
  const t0 = Date.now();
  const workspace = options.workspace ?? scratch.workspace;
  const child = spawn(
    bin,
    [
      ...baseArgs(scratch, options.userData),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      workspace,
    ],
    // its own process group, so stop() (and the exit hook) can kill it with everything it started
    { env: scratch.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  // last resort if the harness dies without reaching stop(): never leave an orphaned server
  const onExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', onExit);

  const stop = async () => {
    killGroup(child, 'SIGTERM');
    for (let i = 0; i < 50 && groupAlive(child); i++) await sleep(100);
    if (groupAlive(child)) killGroup(child, 'SIGKILL');
    process.off('exit', onExit);
  };

  while (Date.now() - t0 < startupTimeoutMs) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) {
        const urlFor = (folder: string) => `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
        return {
          port,
          url: urlFor(workspace),
          urlFor,
          startupSeconds: (Date.now() - t0) / 1000,
          output: () => output,
          stop,
        };
      }
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(
    `code-server did not answer /healthz within ${startupTimeoutMs / 1000} s (exit code ${child.exitCode}); its output:\n${output}`,
  );
}

/**
 * Processes still running whose command line mentions `marker` (the scratch folder): the engine process,
 * if the extension started it outside code-server's process group and never ended it.
 */
export function processesMentioning(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const file = `/proc/${entry}/cmdline`;
    let cmdline: string;
    try {
      cmdline = readFileSync(file, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes(marker)) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}
