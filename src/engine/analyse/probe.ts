/**
 * The timing probe every analyse run and every `estimate` share: a forward batch and an input-gradient batch
 * (the cross-entropy gradient the white-box attacks follow) timed on images spread over the run's sample,
 * then one defended batch of each kind the defences run: post-averaging's points, its EOT gradient points and
 * low-pass filtered rows (their JavaScript work, drawing directions, building points, filtering by FFT, is
 * part of their cost). Their per-image seconds price the passes passCounts.ts counts: one way of estimating,
 * before a run (estimate), at its start (the budget planner, the CLI's plan) and during it (the ETA's priors).
 */
import { performance } from 'node:perf_hooks';
import { streamPixelBatches } from '../data/batches';
import { correctness } from '../defences/tally';
import { EngineError, isEngineError } from '../errors';
import { gradientBuilderFor } from '../grad/forClassifier';
import { GradientModel } from '../grad/gradientModel';
import { pixelSpecFor } from '../input/pixelSpec';
import type { prepareData, prepareModel } from '../jobs/prepare';
import type { Classifier } from '../runtime/classifier';
import { sessionOptionsFor } from '../runtime/modelSession';
import { DEFAULT_K, PostAveragedModel, pointsPerImage, radiusHint, randomDirections } from '../defences/postAveraging';
import { EotGradient } from '../defences/eotGradient';
import { LowPassModel } from '../defences/lowPassModel';
import { channelCount } from '../data/pixels';
import { maxCutoff } from '../spectral/lowPass';
import { Rng } from '../util/random';
import { PLAIN_DEFENDED, type DefendedPassFactors } from './stageWork';

/** Images the probe times (fewer when the sample or the batch size is smaller): a run's batches are as large. */
export const PROBE_IMAGES = 64;
/** Timed repetitions of each batch after one untimed warm-up; the median is kept. */
export const PROBE_REPEATS = 3;

const CROSS_ENTROPY = { kind: 'cross-entropy' } as const;

export interface ProbeResult {
  /** Images each timed batch held. */
  probeImages: number;
  /** Top-1 accuracy on the probe's images. */
  probeAccuracy: number;
  forwardSeconds: number;
  /** Null when the gradient is unavailable (then `gradientUnavailable` says why). */
  gradientSeconds: number | null;
  gradientUnavailable: string | null;
  /** Seconds the gradient graph took to build and open (a run opens its own as well). */
  gradientSetupSeconds: number;
  /** One defended batch of each kind, timed, over the plain passes' seconds. */
  defendedFactors: DefendedPassFactors;
}

/** A defended batch's factor is kept within these (a long call is timed once), so a stall cannot swing a plan. */
const FACTOR_RANGE = [0.5, 10] as const;
const SEED = 0x5eed;

type Prepared = Awaited<ReturnType<typeof prepareModel>>;
type Samples = Awaited<ReturnType<typeof prepareData>>['samples'];

/** Times the model on up to `maxImages` of `samples`; `step(k)` reports its three steps. */
export async function probePassCosts(
  prepared: Prepared,
  samples: Samples,
  classifier: Classifier,
  opts: { maxImages?: number; signal?: AbortSignal; step?: (done: number) => void; K?: number } = {},
): Promise<ProbeResult> {
  const { config } = prepared;
  if (samples.length === 0) throw new EngineError('USAGE', `${config.imagesDir ?? 'the image folder'}: no images to time the model on`);
  const n = Math.min(opts.maxImages ?? PROBE_IMAGES, classifier.batchSize, samples.length);
  const batch = await probeBatch(prepared, spread(samples, 2 * n), n, opts.signal);
  const count = batch.samples.length;
  const labels = batch.samples.map((s) => s.label);
  opts.step?.(1);
  const probeAccuracy = correctness(await classifier.scores(batch.pixels, count), labels).top1.filter(Boolean).length / count;
  const forwardSeconds = (await medianSeconds(() => classifier.scores(batch.pixels, count), opts.signal)) / count;
  opts.step?.(2);
  let gradientSeconds: number | null = null;
  let gradientUnavailable: string | null = null;
  let gradientSetupSeconds = 0;
  const K = opts.K ?? DEFAULT_K;
  const factors: DefendedPassFactors = {
    ...PLAIN_DEFENDED,
    ...(await defendedForwardFactors(classifier, batch.pixels, count, K, forwardSeconds)),
  };
  try {
    const tg = performance.now();
    const builder = await gradientBuilderFor(prepared, classifier.outputKind?.kind ?? 'logits', classifier.numClasses ?? undefined);
    const gradient = await GradientModel.open(builder, CROSS_ENTROPY, {
      ...sessionOptionsFor(config.runtime),
      label: prepared.model.path,
      maxBatch: classifier.batchSize,
    });
    try {
      gradientSetupSeconds = (performance.now() - tg) / 1000;
      gradientSeconds = (await medianSeconds(() => gradient.compute(batch.pixels, count, { labels }), opts.signal)) / count;
      factors.postAveragingGradient = await eotGradientFactor(classifier, gradient, batch.pixels, labels, K, gradientSeconds);
    } finally {
      await gradient.dispose();
    }
  } catch (e) {
    if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
    gradientUnavailable = e.message;
  }
  opts.step?.(3);
  return {
    probeImages: count,
    probeAccuracy,
    forwardSeconds,
    gradientSeconds,
    gradientUnavailable,
    gradientSetupSeconds,
    defendedFactors: factors,
  };
}

const clampFactor = (f: number) => (Number.isFinite(f) ? Math.min(FACTOR_RANGE[1], Math.max(FACTOR_RANGE[0], f)) : 1);

async function once(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await run();
  return (performance.now() - t) / 1000;
}

/** A call long enough that one-off costs are a small share of it is timed once. */
const LONG_CALL_SECONDS = 0.5;

/**
 * Seconds of a defended call: the first call's when it is long (a 224×224 image's 91 points), else the median of
 * PROBE_REPEATS calls after it (first calls allocate buffers and FFT tables).
 */
async function defendedSeconds(run: () => Promise<unknown>): Promise<number> {
  const first = await once(run);
  if (first >= LONG_CALL_SECONDS) return first;
  const times: number[] = [];
  for (let k = 0; k < PROBE_REPEATS; k++) times.push(await once(run));
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

/**
 * Images whose defended points make about one batch of plain rows: one image at 224×224 (91 points), more
 * on a small model, where one image's points take too little time to measure.
 */
function defendedImages(count: number, batchSize: number, points: number): number {
  return Math.max(1, Math.min(count, Math.round((4 * batchSize) / points)));
}

/** Post-averaging's points (random directions, the default) and low-pass rows, over a plain forward pass. */
async function defendedForwardFactors(
  classifier: Classifier,
  pixels: Float32Array,
  count: number,
  K: number,
  forwardSeconds: number,
): Promise<Pick<DefendedPassFactors, 'postAveragingForward' | 'lowPassForward'>> {
  const p = classifier.preprocessing;
  const per = pixels.length / count;
  const P = pointsPerImage(K);
  const m = defendedImages(count, classifier.batchSize, P);
  const averaged = new PostAveragedModel(classifier, {
    K,
    radius: radiusHint(channelCount(p) * p.height * p.width),
    sampler: randomDirections(p),
    rng: new Rng(SEED),
  });
  const pointSeconds = (await defendedSeconds(() => averaged.scores(pixels.subarray(0, m * per), m))) / (m * P);
  const lowPass = new LowPassModel(classifier, Math.max(1, Math.floor(maxCutoff(p.height, p.width) / 2)));
  const rowSeconds = (await defendedSeconds(() => lowPass.scores(pixels, count))) / count;
  return { postAveragingForward: clampFactor(pointSeconds / forwardSeconds), lowPassForward: clampFactor(rowSeconds / forwardSeconds) };
}

/** One EOT step of post-averaging over a batch's worth of points, per point, over a plain gradient pass. */
async function eotGradientFactor(
  classifier: Classifier,
  gradient: GradientModel,
  pixels: Float32Array,
  labels: number[],
  K: number,
  gradientSeconds: number,
): Promise<number> {
  const p = classifier.preprocessing;
  const per = pixels.length / labels.length;
  const S = Math.min(pointsPerImage(K), Math.max(2, classifier.batchSize));
  const m = defendedImages(labels.length, classifier.batchSize, S);
  const eot = new EotGradient(gradient, {
    K,
    radius: radiusHint(channelCount(p) * p.height * p.width),
    sampler: randomDirections(p),
    rng: new Rng(SEED),
    baseKind: classifier.outputKind?.kind ?? 'logits',
    samples: S,
  });
  const seconds = await defendedSeconds(() => eot.compute(pixels.subarray(0, m * per), m, { labels: labels.slice(0, m) }));
  return clampFactor(seconds / (m * S) / gradientSeconds);
}

/**
 * `k` samples spread evenly over the run's sample (its first images may all be of one class, and the
 * probe's accuracy stands for the run's).
 */
function spread<T>(samples: T[], k: number): T[] {
  if (samples.length <= k) return samples;
  return Array.from({ length: k }, (_, i) => samples[Math.floor((i * samples.length) / k)]);
}

/** The first `n` of these samples that decode, as one batch (the spare samples stand in for unreadable ones). */
async function probeBatch(prepared: Prepared, samples: Samples, n: number, signal: AbortSignal | undefined) {
  const spec = pixelSpecFor(prepared.config.preprocessing);
  for await (const batch of streamPixelBatches(samples, spec, samples.length, signal ? { signal } : {})) {
    if (batch.samples.length === 0) break;
    const per = batch.pixels.length / batch.samples.length;
    const count = Math.min(n, batch.samples.length);
    return { samples: batch.samples.slice(0, count), pixels: batch.pixels.slice(0, count * per) };
  }
  throw new EngineError('USAGE', `${prepared.config.imagesDir ?? 'the image folder'}: none of its first images could be read`, {
    hint: 'check the image folder in robustness.json',
  });
}

/** Median seconds of PROBE_REPEATS timed calls, after one untimed warm-up (first runs allocate and compile). */
async function medianSeconds(run: () => Promise<unknown>, signal: AbortSignal | undefined): Promise<number> {
  await run();
  const times: number[] = [];
  for (let k = 0; k < PROBE_REPEATS; k++) {
    if (signal?.aborted) throw new EngineError('CANCELLED', 'the timing probe was cancelled');
    const t = performance.now();
    await run();
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
