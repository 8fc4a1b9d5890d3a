/**
 * `estimate`: a short timing probe before an analyse run. It loads the model and its configuration as the
 * run would, times a forward batch and an input-gradient batch (the cross-entropy gradient the white-box
 * attacks follow) on the first images of the configured sample, and counts the work of each preset × image
 * count asked for from the same plan the run would make (analyse/passCounts.ts). The extension prices the
 * choices with the two costs; nothing is written and no attack runs.
 */
import { performance } from 'node:perf_hooks';
import { analyseWork } from '../analyse/passCounts';
import { planAnalyse } from '../analyse/plan';
import { TIMING_PROBE_SECTION, type EstimateChoice, type TimingProbeSection } from '../analyse/stageWork';
import { streamPixelBatches } from '../data/batches';
import { EngineError, isEngineError } from '../errors';
import { gradientBuilderFor } from '../grad/forClassifier';
import { correctness } from '../defences/tally';
import { GradientModel } from '../grad/gradientModel';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';
import { sessionOptionsFor } from '../runtime/modelSession';

export type EstimateOptions = JobOptionsByKind['estimate'];

/** Images the probe times (fewer when the sample or the batch size is smaller): a run's batches are as large. */
export const PROBE_IMAGES = 64;
/** Timed repetitions of each batch after one untimed warm-up; the median is kept. */
export const PROBE_REPEATS = 3;

export type { EstimateChoice, TimingProbeSection } from '../analyse/stageWork';
export { TIMING_PROBE_SECTION } from '../analyse/stageWork';

const CROSS_ENTROPY = { kind: 'cross-entropy' } as const;

export async function runEstimateJob(req: JobRequest, opts: EstimateOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const stage = 'timing probe';
  hooks.onProgress?.({ stage, done: 0, total: 3 });
  const t0 = performance.now();
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const classifier = await Classifier.open(config, prepared.info, prepared.model);
  let setupSeconds = (performance.now() - t0) / 1000;
  const disposers: (() => Promise<void>)[] = [() => classifier.dispose()];
  try {
    if (data.samples.length === 0)
      throw new EngineError('USAGE', `${config.imagesDir ?? 'the image folder'}: no images to time the model on`);
    const n = Math.min(PROBE_IMAGES, classifier.batchSize, data.samples.length);
    const batch = await probeBatch(prepared, spread(data.samples, 2 * n), n, hooks.signal);
    const count = batch.samples.length;
    const labels = batch.samples.map((s) => s.label);
    hooks.onProgress?.({ stage, done: 1, total: 3 });
    const probeAccuracy = correctness(await classifier.scores(batch.pixels, count), labels).top1.filter(Boolean).length / count;
    const forwardSeconds = (await medianSeconds(() => classifier.scores(batch.pixels, count), hooks.signal)) / count;
    hooks.onProgress?.({ stage, done: 2, total: 3 });

    let gradientSeconds: number | null = null;
    let gradientUnavailable: string | null = null;
    try {
      const tg = performance.now();
      const builder = await gradientBuilderFor(prepared, classifier.outputKind?.kind ?? 'logits', classifier.numClasses ?? undefined);
      const gradient = await GradientModel.open(builder, CROSS_ENTROPY, {
        ...sessionOptionsFor(config.runtime),
        label: prepared.model.path,
        maxBatch: classifier.batchSize,
      });
      disposers.push(() => gradient.dispose());
      setupSeconds += (performance.now() - tg) / 1000;
      gradientSeconds = (await medianSeconds(() => gradient.compute(batch.pixels, count, { labels }), hooks.signal)) / count;
    } catch (e) {
      if (!isEngineError(e) || e.code !== 'MODEL_UNSUPPORTED') throw e;
      gradientUnavailable = e.message;
    }
    hooks.onProgress?.({ stage, done: 3, total: 3 });

    const available = data.samples.length;
    const p = config.preprocessing;
    const shape = { height: p.height, width: p.width, numClasses: classifier.numClasses ?? data.dataset.classNames.length };
    const counts = [...new Set([...opts.images.filter((k) => k < available), available])].sort((a, b) => a - b);
    const choices: EstimateChoice[] = opts.presets.flatMap((preset) =>
      counts.map((images) => ({
        preset,
        images,
        all: images === available,
        work: analyseWork(planAnalyse({ ...opts.analyse, preset }, p, images), shape, opts.analyse.K, probeAccuracy),
      })),
    );
    const section: TimingProbeSection = {
      kind: 'timing-probe',
      available,
      probeImages: count,
      probeAccuracy,
      forwardSeconds,
      gradientSeconds,
      gradientUnavailable,
      setupSeconds,
      choices,
    };
    return buildReport({
      command: 'estimate',
      prepared,
      data,
      classifier,
      status: 'complete',
      sections: { [TIMING_PROBE_SECTION]: section },
    });
  } finally {
    for (const d of disposers.reverse()) await d();
  }
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
async function probeBatch(
  prepared: Awaited<ReturnType<typeof prepareModel>>,
  samples: Awaited<ReturnType<typeof prepareData>>['samples'],
  n: number,
  signal: AbortSignal | undefined,
) {
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
