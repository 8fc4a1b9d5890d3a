/**
 * The PyTorch peer of the side-by-side bench rows: one persistent /usr/bin/python3 process running
 * bench/torchPeer.py (Debian's torch 1.13), one JSON request per line. Requests are answered one at a time
 * and the bench awaits each, so ours and PyTorch's rounds never overlap. Also: this process's peak resident
 * memory per row (VmHWM, reset through /proc/self/clear_refs).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

/** bench/torchPeer.py: next to this bundle's source (dist/bench.js → ../bench/). */
const PEER_SCRIPT = resolve(__dirname, '..', 'bench', 'torchPeer.py');
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

export interface PeerAnswer {
  seconds?: number[];
  peak_mib?: number;
  error?: string;
  [key: string]: unknown;
}

export class TorchPeer {
  private pending: ((line: string) => void)[] = [];
  private stderr = '';
  private exited: string | null = null;

  /** The BLAS libraries the peer loaded (reference BLAS and OpenBLAS differ 10× on matmuls). */
  blas: string[] = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.pending.shift()?.(line));
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      this.exited = `exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      for (const p of this.pending.splice(0)) p(JSON.stringify({ error: `PyTorch peer ${this.exited}` }));
    });
  }

  /** The peer with `threads` intra-op threads, or why there is none (no python3, no torch). */
  static async start(threads: number): Promise<TorchPeer | string> {
    let child: ChildProcessWithoutNullStreams;
    try {
      // OpenBLAS (where libblas.so.3 is OpenBLAS) keeps its own thread pool: the same count as torch's and ours.
      // OMP_WAIT_POLICY=PASSIVE: on a shared, oversubscribed machine libgomp's default spin-wait at every
      // parallel region made torch 10× slower at 2 threads than at 1 (ResNet fixture, batch 32: 3.7–5.1 s
      // against 0.23 s passive); the peer gets its best setting, not a handicap.
      const env = {
        ...process.env,
        OMP_NUM_THREADS: String(threads),
        OPENBLAS_NUM_THREADS: String(threads),
        OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
      };
      child = spawn(PYTHON, [PEER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env });
    } catch (e) {
      return `${PYTHON} could not start: ${String(e)}`;
    }
    const spawnError = new Promise<string>((res) => child.on('error', (e) => res(`${PYTHON} could not start: ${e.message}`)));
    const peer = new TorchPeer(child);
    const init = peer.request({ cmd: 'init', threads }).then((a) => {
      if (a.error) return `PyTorch is not usable with ${PYTHON}: ${a.error}`;
      if (a.threads !== threads) return `torch runs ${String(a.threads)} threads`;
      peer.blas = (a.blas as string[] | undefined) ?? [];
      return peer;
    });
    const result = await Promise.race([init, spawnError]);
    if (typeof result === 'string') peer.close();
    return result;
  }

  request(req: Record<string, unknown>): Promise<PeerAnswer> {
    if (this.exited) return Promise.resolve({ error: `PyTorch peer ${this.exited}` });
    return new Promise((res) => {
      this.pending.push((line) => {
        try {
          res(JSON.parse(line) as PeerAnswer);
        } catch {
          res({ error: `unreadable answer: ${line.slice(0, 200)}` });
        }
      });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
    if (!this.exited) this.child.kill();
  }
}

/** Resets this process's peak resident memory (Linux); false where the kernel does not allow it. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak resident memory in MiB since the last reset (VmHWM), else the process's lifetime peak. */
export function peakRssMiB(resetWorked: boolean): number {
  if (resetWorked) {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Seconds per call of `f`, repeated `reps` times. */
export async function timeReps(reps: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
