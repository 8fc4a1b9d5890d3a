import { promises as fs } from 'node:fs';
import { EngineError, errorText, isEngineError } from '../errors';
import type { DatasetSample } from './dataset';
import { decodeImage } from './decodeImage';
import { channelCount, checkSpec, type PixelSpec, rasterToPixels } from './pixels';

export interface PixelBatch {
  /** The samples that decoded, in input order; pixels[i] belongs to samples[i]. */
  samples: DatasetSample[];
  /** N×C×H×W planar float32 in [0,1], N = samples.length. */
  pixels: Float32Array;
  /** Samples of this batch that could not be read or decoded, with a message naming the file. */
  failed: { sample: DatasetSample; error: string }[];
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Files read and decoded at once within a batch (default 8). */
  concurrency?: number;
}

/**
 * Yields the samples as model-ready pixel batches of up to `batchSize` images. Only the batch being
 * consumed and one prefetched batch exist at any time, so memory does not grow with the dataset. A file
 * that cannot be read or decoded goes to `failed` and the run goes on. Aborting `signal` stops between
 * files with EngineError('CANCELLED').
 */
export async function* streamPixelBatches(
  samples: DatasetSample[],
  spec: PixelSpec,
  batchSize: number,
  opts: StreamOptions = {},
): AsyncGenerator<PixelBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new EngineError('USAGE', `batch size must be a positive integer, got ${batchSize}`);
  const concurrency = opts.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new EngineError('USAGE', `concurrency must be a positive integer, got ${concurrency}`);
  checkSpec(spec);
  // Our own signal too: when the consumer stops early, the prefetch in flight stops at its next file.
  const stop = new AbortController();
  const signals = opts.signal ? [opts.signal, stop.signal] : [stop.signal];
  const load = (start: number): Promise<PixelBatch> => {
    const p = loadBatch(samples.slice(start, start + batchSize), spec, concurrency, signals);
    p.catch(() => undefined); // a prefetch may fail before it is awaited; it is rethrown when awaited
    return p;
  };
  try {
    let pending = samples.length > 0 ? load(0) : undefined;
    for (let start = 0; start < samples.length; start += batchSize) {
      throwIfAborted(opts.signal);
      const batch = await pending!;
      pending = start + batchSize < samples.length ? load(start + batchSize) : undefined;
      yield batch;
    }
  } finally {
    stop.abort();
  }
}

async function loadBatch(samples: DatasetSample[], spec: PixelSpec, concurrency: number, signals: AbortSignal[]): Promise<PixelBatch> {
  const results = new Array<Float32Array | string>(samples.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      for (const s of signals) throwIfAborted(s);
      const i = next++;
      if (i >= samples.length) return;
      results[i] = await loadOne(samples[i], spec);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, samples.length) }, worker));

  const per = channelCount(spec) * spec.height * spec.width;
  const ok = results.filter((r): r is Float32Array => typeof r !== 'string');
  const pixels = new Float32Array(ok.length * per);
  ok.forEach((p, i) => pixels.set(p, i * per));
  const batch: PixelBatch = { samples: [], pixels, failed: [] };
  results.forEach((r, i) => {
    if (typeof r === 'string') batch.failed.push({ sample: samples[i], error: r });
    else batch.samples.push(samples[i]);
  });
  return batch;
}

/** One image's pixels, or the reason it has none. */
async function loadOne(sample: DatasetSample, spec: PixelSpec): Promise<Float32Array | string> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(sample.path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `${sample.path}: cannot read file (${err.code === 'ENOENT' ? 'it no longer exists' : (err.code ?? err.message)})`;
  }
  try {
    return rasterToPixels(decodeImage(bytes, sample.path), spec, sample.path);
  } catch (e) {
    return isEngineError(e) ? errorText(e) : `${sample.path}: unexpected error while decoding (${errorText(e)})`;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError('CANCELLED', 'cancelled while reading images');
}
