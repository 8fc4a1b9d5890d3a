/**
 * Data parallelism for small models: W worker threads, each with its own single-threaded onnxruntime session
 * of the same model, each running a contiguous share of a batch's rows. onnxruntime's own intra-op threads
 * split every operator of a small model (MNIST-sized convolutions) into pieces too small to pay for the
 * synchronisation: on 2 cores, mnist-cnn's gradient graph ran 100 images in 16–34 ms with one 2-thread
 * session and 12–14 ms with two 1-thread sessions in workers. Each worker holds its own copy of the weights,
 * so the engine uses this only for models of at most MAX_PARALLEL_MODEL_BYTES on small images (runtime/callSize.ts).
 */
import { Worker } from 'node:worker_threads';
import { EngineError } from '../errors';

export const MAX_PARALLEL_MODEL_BYTES = 64 * 1024 * 1024;
/** How long a closing worker may take to release its session before its thread is stopped. */
const CLOSE_TIMEOUT_MS = 5000;

export interface WorkerFeed {
  name: string;
  type: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export interface WorkerOutput {
  name: string;
  type: string;
  dims: number[];
  data: Float32Array;
}

type FromWorker =
  { type: 'ready' } | { type: 'result'; id: number; outputs: WorkerOutput[] } | { type: 'error'; id: number | null; message: string };

interface Pending {
  resolve: (o: WorkerOutput[]) => void;
  reject: (e: Error) => void;
}

/**
 * The worker's script, evaluated as CommonJS (no file to ship beside the bundles). It loads onnxruntime-node
 * from the path this thread resolved, since a worker's own resolution would start from the working directory.
 */
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);

ort.env.logLevel = 'fatal';
const text = (e) => (e && e.message) || String(e);

ort.InferenceSession.create(workerData.model, workerData.options).then((session) => {
  parentPort.on('message', async (m) => {
    if (m.type === 'close') {
      await session.release().catch(() => undefined);
      parentPort.close();
      return;
    }
    try {
      const feeds = {};
      for (const f of m.feeds) feeds[f.name] = new ort.Tensor(f.type, f.data, f.dims);
      const result = await session.run(feeds, m.outputs);
      const outputs = m.outputs.map((name) => {
        const t = result[name];
        return { name, type: t.type, dims: Array.from(t.dims, Number), data: t.data.slice() };
      });
      parentPort.postMessage({ type: 'result', id: m.id, outputs }, outputs.map((o) => o.data.buffer));
    } catch (e) {
      parentPort.postMessage({ type: 'error', id: m.id, message: text(e) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
}, (e) => parentPort.postMessage({ type: 'error', id: null, message: text(e) }));
`;

class SessionWorker {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly label: string,
  ) {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') return;
      const p = m.id === null ? undefined : this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id!);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'result') p.resolve(m.outputs);
      else p.reject(new EngineError('RUNTIME', `${label}: inference failed in a session worker (${m.message})`, { file: label }));
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) =>
      fail(new EngineError('RUNTIME', `${label}: a session worker failed (${e.message})`, { file: label, cause: e })),
    );
    worker.on('exit', (code) => {
      this.exited = true;
      if (code !== 0) fail(new EngineError('RUNTIME', `${label}: a session worker exited with code ${code}`, { file: label }));
    });
  }

  static open(model: Uint8Array | string, options: object, label: string): Promise<SessionWorker> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { model, options, ortPath: require.resolve('onnxruntime-node') },
      });
      const onMessage = (m: FromWorker) => {
        worker.off('error', onError);
        if (m.type === 'ready') {
          worker.unref();
          resolve(new SessionWorker(worker, label));
        } else {
          void worker.terminate();
          reject(
            new EngineError('RUNTIME', `${label}: a session worker could not open the model (${m.type === 'error' ? m.message : m.type})`, {
              file: label,
            }),
          );
        }
      };
      const onError = (e: Error) =>
        reject(new EngineError('RUNTIME', `${label}: a session worker could not start (${e.message})`, { file: label, cause: e }));
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  }

  run(feeds: WorkerFeed[], outputs: string[]): Promise<WorkerOutput[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while it has work: a session nobody disposed must not keep the process alive.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, feeds, outputs });
    });
  }

  /**
   * Releases the worker's session and lets the thread end by itself. Not terminate() beside a 'close'
   * message: when the thread ended on its own while terminate() was stopping it, Node sometimes never
   * emitted 'exit', and the awaited close hung with nothing left on the event loop (1 in 12 test runs).
   * terminate() only if the thread has not ended within CLOSE_TIMEOUT_MS.
   */
  async close(): Promise<void> {
    // Refuse work from now on: a run posted to an ending worker would wait forever.
    this.failure ??= new EngineError('RUNTIME', `${this.label}: the session worker was closed`, { file: this.label });
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Referenced: the thread's exit keeps this process's event loop alive until it has happened.
    this.worker.ref();
    this.worker.postMessage({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

export class SessionWorkers {
  private constructor(private readonly workers: SessionWorker[]) {}

  get count(): number {
    return this.workers.length;
  }

  /** `count` workers, each opening `model` with `options` (their intra-op threads forced to 1). */
  static async open(model: Uint8Array | string, count: number, options: object, label: string): Promise<SessionWorkers> {
    const opened = await Promise.allSettled(
      Array.from({ length: count }, () => SessionWorker.open(model, { ...options, intraOpNumThreads: 1 }, label)),
    );
    const ok = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((w) => w.close()));
      throw failed.reason;
    }
    return new SessionWorkers(ok);
  }

  /**
   * Runs `rows` rows split into contiguous shares, one per worker; `feedsFor(start, n)` gives the feeds of
   * rows start … start+n−1. Outputs come back concatenated along dim 0, in row order.
   */
  async run(rows: number, outputs: string[], feedsFor: (start: number, n: number) => WorkerFeed[]): Promise<WorkerOutput[]> {
    const W = Math.min(this.workers.length, rows);
    const shares = Array.from({ length: W }, (_, w) => {
      const start = Math.floor((w * rows) / W);
      return { start, n: Math.floor(((w + 1) * rows) / W) - start };
    });
    const parts = await Promise.all(shares.map((s, w) => this.workers[w].run(feedsFor(s.start, s.n), outputs)));
    return outputs.map((name, k) => {
      const pieces = parts.map((p) => p[k]);
      const data = new Float32Array(pieces.reduce((a, p) => a + p.data.length, 0));
      let offset = 0;
      for (const p of pieces) {
        data.set(p.data, offset);
        offset += p.data.length;
      }
      return { name, type: pieces[0].type, dims: [rows, ...pieces[0].dims.slice(1)], data };
    });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
