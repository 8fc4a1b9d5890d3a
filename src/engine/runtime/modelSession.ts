/**
 * A thin session layer over onnxruntime-node: execution-provider choice with fallback, thread count,
 * float32 checks, splitting work into the model's fixed batch size, and disposal.
 */
import * as ort from 'onnxruntime-node';
import { EngineError, errorText } from '../errors';
import type { ExecutionProviderName } from '../config/configFile';
import { providerCandidates, type ConcreteProvider } from './executionProvider';
import { explainProviderFailure } from './providerSupport';
import { SessionWorkers, type WorkerFeed, type WorkerOutput } from './sessionWorkers';

export interface SessionOptions {
  executionProvider: ExecutionProviderName;
  /** Intra-op threads; 0 lets onnxruntime decide. */
  threads: number;
  /**
   * Data-parallel worker sessions (CPU only, default none): batches of at least two rows per worker are
   * split across that many single-threaded sessions in worker threads (sessionWorkers.ts).
   */
  workers?: number;
  /**
   * A named provider that cannot open the model is an error instead of a fallback to CPU (`--ep-strict`).
   * `auto` always falls back.
   */
  strictProvider?: boolean;
}

/** The session options a run's resolved runtime settings give (one place, so every session falls back alike). */
export function sessionOptionsFor(runtime: {
  executionProvider: ExecutionProviderName;
  threads: number;
  strictProvider?: boolean;
}): SessionOptions {
  return {
    executionProvider: runtime.executionProvider,
    threads: runtime.threads,
    ...(runtime.strictProvider ? { strictProvider: true } : {}),
  };
}

export interface ProviderAttempt {
  provider: ConcreteProvider;
  ok: boolean;
  error?: string;
  /** Why it failed, in terms of the missing files or adapter and how to get them (providerSupport.ts). */
  reason?: string;
  hint?: string;
}

export interface BatchedInput {
  name: string;
  data: Float32Array | BigInt64Array;
  /** Per-sample shape when batched; the whole shape when `batched` is false. */
  sampleShape: readonly number[];
  /** Default true: split along dim 0 with the other batched inputs. */
  batched?: boolean;
}

function tensorOf(data: Float32Array | BigInt64Array, dims: number[]): ort.Tensor {
  return data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('int64', data, dims);
}

export interface RunOutput {
  data: Float32Array;
  /** Output dims with the batch dimension set to the number of samples run. */
  dims: number[];
}

// Provider probing logs native errors to stderr at 'error' level; the failure reasons are kept in `attempts`.
ort.env.logLevel = 'fatal';

export class ModelSession {
  private disposed = false;
  private workers: SessionWorkers | null = null;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelLabel: string,
    readonly provider: ConcreteProvider,
    readonly attempts: ProviderAttempt[],
    readonly threads: number,
    readonly requestedProvider: ExecutionProviderName,
  ) {}

  /**
   * The note a report and the CLI carry when a named provider (not `auto`) could not open the model and
   * the session runs on CPU instead; null when the requested provider runs.
   */
  get fallbackNote(): string | null {
    if (this.requestedProvider === 'auto' || this.requestedProvider === this.provider) return null;
    const failed = this.attempts.find((a) => a.provider === this.requestedProvider && !a.ok);
    const why = failed ? (failed.reason ?? failed.error ?? 'unknown error') : 'unknown error';
    return `execution provider ${this.requestedProvider} is not available here (${why}); ran on ${this.provider} instead (robustness-lens doctor says what it needs; --ep-strict makes this an error)`;
  }

  /** How many worker sessions share a batch (1: this session alone). */
  get parallelWorkers(): number {
    return this.workers?.count ?? 1;
  }

  /** Opens a model from a path (external data resolves beside it) or from in-memory bytes. */
  static async open(
    model: string | Uint8Array,
    opts: SessionOptions,
    label = typeof model === 'string' ? model : '<in-memory model>',
  ): Promise<ModelSession> {
    const attempts: ProviderAttempt[] = [];
    let lastError: unknown;
    const candidates = providerCandidates(opts.executionProvider);
    // A named accelerator falls back to CPU (with a note) unless the user asked for strictness.
    if (!opts.strictProvider && !candidates.includes('cpu')) candidates.push('cpu');
    for (const provider of candidates) {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        interOpNumThreads: 1,
        // Attacks alternate between the forward and the gradient session: spinning worker threads of one would
        // steal the cores the other needs.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
        ...(opts.threads > 0 ? { intraOpNumThreads: opts.threads } : {}),
      };
      try {
        const session =
          typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
        attempts.push({ provider, ok: true });
        const opened = new ModelSession(session, label, provider, attempts, opts.threads, opts.executionProvider);
        if ((opts.workers ?? 1) > 1 && provider === 'cpu') {
          try {
            opened.workers = await SessionWorkers.open(model, opts.workers!, options, label);
          } catch (e) {
            await session.release();
            throw e;
          }
        }
        return opened;
      } catch (e) {
        lastError = e;
        const error = ortMessage(e);
        const failure = provider === 'cpu' ? null : explainProviderFailure(provider, error);
        attempts.push({
          provider,
          ok: false,
          error,
          ...(failure && failure.reason !== error ? { reason: failure.reason } : {}),
          ...(failure?.hint ? { hint: failure.hint } : {}),
        });
      }
    }
    const tried = attempts.map((a) => `${a.provider}: ${a.reason ?? a.error}`).join('; ');
    const accelerator = opts.executionProvider !== 'auto' && opts.executionProvider !== 'cpu';
    const hint = attempts.find((a) => a.hint)?.hint;
    throw new EngineError(
      'RUNTIME',
      `${label}: onnxruntime could not open the model with execution provider ${opts.executionProvider} (${tried})`,
      {
        file: label,
        cause: lastError,
        hint: accelerator
          ? `${hint ? `${hint}; or ` : ''}drop --ep-strict to fall back to CPU (robustness-lens doctor lists what works here)`
          : undefined,
      },
    );
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  inputMeta(name: string): ort.InferenceSession.ValueMetadata | undefined {
    return this.session.inputMetadata.find((m) => m.name === name);
  }

  /** The fixed batch size of an input, or null when its first dimension is symbolic. */
  fixedBatch(inputName: string): number | null {
    const meta = this.inputMeta(inputName);
    if (!meta || !meta.isTensor) return null;
    const first = meta.shape[0];
    return typeof first === 'number' && first > 0 ? first : null;
  }

  /** Throws unless `inputName` is a float32 tensor input (the engine feeds float32 pixels). */
  assertFloat32Input(inputName: string): void {
    const meta = this.inputMeta(inputName);
    if (!meta)
      throw new EngineError(
        'INPUT_NOT_FOUND',
        `${this.modelLabel}: onnxruntime reports no input "${inputName}" (inputs: ${this.inputNames.join(', ')})`,
        { file: this.modelLabel },
      );
    if (!meta.isTensor || meta.type !== 'float32') {
      throw new EngineError(
        'MODEL_UNSUPPORTED',
        `${this.modelLabel}: input "${inputName}" has element type ${meta.isTensor ? meta.type : 'non-tensor'}; Robustness Lens feeds float32 pixels`,
        {
          file: this.modelLabel,
          expected: 'tensor(float)',
          hint: 'export the model with a float32 input (cast inside the graph if it needs another type)',
        },
      );
    }
  }

  /**
   * Runs `count` samples of `sampleShape` through `outputName`, in chunks of `maxBatch`, or exactly the
   * model's fixed batch (the last chunk zero-padded and its extra rows dropped).
   */
  async run(
    inputName: string,
    outputName: string,
    data: Float32Array,
    count: number,
    sampleShape: readonly number[],
    maxBatch = count,
  ): Promise<RunOutput> {
    const out = await this.runBatched([{ name: inputName, data, sampleShape }], [outputName], count, maxBatch);
    return out[outputName];
  }

  /**
   * The general form: several inputs, each either batched along dim 0 (`count` samples of `sampleShape`)
   * or fed whole to every chunk (`batched: false`, e.g. a scalar), and several float outputs, batched.
   */
  async runBatched(inputs: BatchedInput[], outputNames: string[], count: number, maxBatch = count): Promise<Record<string, RunOutput>> {
    if (this.disposed) throw new EngineError('RUNTIME', `${this.modelLabel}: session used after it was disposed`);
    const batched = inputs.filter((i) => i.batched !== false);
    for (const i of batched) {
      const per = i.sampleShape.reduce((a, b) => a * b, 1);
      if (i.data.length !== per * count) {
        throw new EngineError('RUNTIME', `${this.modelLabel}: input "${i.name}" has ${i.data.length} values, expected ${count}×${per}`);
      }
    }
    const fixed = batched.length ? this.fixedBatch(batched[0].name) : null;
    const chunk = fixed ?? Math.max(1, Math.min(maxBatch, count));
    const parts = new Map<string, Float32Array[]>(outputNames.map((o) => [o, []]));
    const rowDims = new Map<string, number[]>();
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const rows = fixed ?? n;
      if (this.workers && fixed === null && n >= 2 * this.workers.count) {
        for (const out of await this.runOnWorkers(this.workers, inputs, outputNames, start, n)) {
          rowDims.set(out.name, out.dims.slice(1));
          parts.get(out.name)!.push(out.data);
        }
        continue;
      }
      const feeds: Record<string, ort.Tensor> = {};
      for (const i of inputs) {
        if (i.batched === false) {
          feeds[i.name] = tensorOf(i.data, [...i.sampleShape]);
          continue;
        }
        const per = i.sampleShape.reduce((a, b) => a * b, 1);
        let slice = i.data.subarray(start * per, (start + n) * per);
        if (rows !== n) {
          const padded = slice instanceof Float32Array ? new Float32Array(rows * per) : new BigInt64Array(rows * per);
          padded.set(slice as never);
          slice = padded;
        }
        feeds[i.name] = tensorOf(slice, [rows, ...i.sampleShape]);
      }
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await this.session.run(feeds, outputNames);
      } catch (e) {
        throw new EngineError('RUNTIME', `${this.modelLabel}: inference failed on a batch of ${rows} (${ortMessage(e)})`, {
          file: this.modelLabel,
          cause: e,
        });
      } finally {
        for (const t of Object.values(feeds)) t.dispose?.();
      }
      for (const o of outputNames) {
        const out = result[o];
        if (out.type !== 'float32') {
          throw new EngineError('MODEL_UNSUPPORTED', `${this.modelLabel}: output "${o}" has element type ${out.type}`, {
            file: this.modelLabel,
            expected: 'tensor(float)',
          });
        }
        const dims = [...out.dims].map(Number);
        rowDims.set(o, dims.slice(1));
        const rowSize = dims.slice(1).reduce((a, b) => a * b, 1);
        parts.get(o)!.push((out.data as Float32Array).slice(0, n * rowSize));
        out.dispose?.();
      }
    }
    const result: Record<string, RunOutput> = {};
    for (const o of outputNames) {
      const list = parts.get(o)!;
      const dims = rowDims.get(o) ?? [];
      const rowSize = dims.reduce((a, b) => a * b, 1);
      let all = list[0] ?? new Float32Array(0);
      if (list.length > 1) {
        all = new Float32Array(count * rowSize);
        let offset = 0;
        for (const p of list) {
          all.set(p, offset);
          offset += p.length;
        }
      }
      result[o] = { data: all, dims: [count, ...dims] };
    }
    return result;
  }

  /** Rows start … start+n−1 of the inputs, shared out to the worker sessions. */
  private async runOnWorkers(
    workers: SessionWorkers,
    inputs: BatchedInput[],
    outputNames: string[],
    start: number,
    n: number,
  ): Promise<WorkerOutput[]> {
    const feedsFor = (from: number, rows: number): WorkerFeed[] =>
      inputs.map((i) => {
        const type = i.data instanceof Float32Array ? ('float32' as const) : ('int64' as const);
        if (i.batched === false) return { name: i.name, type, data: i.data, dims: [...i.sampleShape] };
        const per = i.sampleShape.reduce((a, b) => a * b, 1);
        // a copy of the share alone: posting a subarray would clone its whole buffer
        return {
          name: i.name,
          type,
          data: i.data.slice((start + from) * per, (start + from + rows) * per),
          dims: [rows, ...i.sampleShape],
        };
      });
    const outputs = await workers.run(n, outputNames, feedsFor);
    for (const o of outputs) {
      if (o.type !== 'float32')
        throw new EngineError('MODEL_UNSUPPORTED', `${this.modelLabel}: output "${o.name}" has element type ${o.type}`, {
          file: this.modelLabel,
          expected: 'tensor(float)',
        });
    }
    return outputs;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.workers?.dispose();
    await this.session.release();
  }
}

/**
 * onnxruntime's text without the C++ location it prefixes to some messages ("/onnxruntime_src/…/x.h:46
 * void onnxruntime::…(const std::…&, int) Opset 999 is…"): a user needs the sentence, not the signature.
 */
export function ortMessage(e: unknown): string {
  return errorText(e)
    .replace(/[\w./+-]+\.(?:h|cc|cpp):\d+ (?:[\w:<>,*&~]+ )*[\w:~<>]+\([^()\n]*\) /g, '')
    .replace(/[\w./+-]+\.(?:h|cc|cpp):\d+ [A-Za-z_]\w* /g, '')
    .trim();
}

export function onnxruntimeVersion(): string {
  return ort.env.versions?.node ?? 'unknown';
}
