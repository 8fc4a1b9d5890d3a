/**
 * `certify`: randomized smoothing certification (src/engine/certify/) of every sampled image at each noise
 * level σ. Forward passes only; the noisy copies of one image go to the model in large batches. Images are
 * certified one after another (every σ for an image before the next image), so a cancel — honoured between
 * model calls — keeps each finished image with all its σ, and the report is marked partial.
 */
import { rowsPerCall } from '../runtime/callSize';
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { certifySmoothed } from '../certify/smoothing';
import { contradictionWarnings, empiricalStage, type EmpiricalStage } from '../certify/empiricalStage';
import {
  certifiedAccuracyAt,
  empiricalProblem,
  radiusGrid,
  type CertificationParams,
  type CertificationRun,
  type CertificationSection,
} from '../../protocol/certification';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { EngineError, isEngineError } from '../errors';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import type { ScoreModel } from '../runtime/scoreModel';
import type { PixelBatch } from '../data/batches';
import type { DatasetSample as ImageSample } from '../data/dataset';
import { Rng } from '../util/random';
import { seedFor, seedRecord } from '../util/seeds';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';

export type CertifyOptions = JobOptionsByKind['certify'];

/** Noisy copies per model call at most by default (1,000 MNIST copies: 3 MB). */
const MAX_DEFAULT_COPIES = 1000;

/** Noisy copies per model call: the configured batch size, or as many as the default call size allows (runtime/callSize.ts), up to 1,000. */
export function samplesPerCall(configured: number, fromDefault: boolean, pixelsPerImage: number): number {
  if (!fromDefault) return configured;
  return rowsPerCall(configured, pixelsPerImage, MAX_DEFAULT_COPIES);
}

/** What the certification core needs: the images (decoded batches, in sample order) and the run's settings. */
export interface CertifyInput {
  classifier: ScoreModel;
  batches: AsyncIterable<PixelBatch>;
  /** Images in all (progress), and each sample's place in the whole sample (its noise seed). */
  total: number;
  indexOf: (sample: ImageSample, from: number) => number;
  opts: CertifyOptions;
  runSeed: number;
  /** Noisy copies per model call. */
  batch: number;
  onCleanScores?: (scores: Float32Array, labels: number[]) => void | Promise<void>;
  /** The empirical attack on the smoothed classifier, run on each batch once it is certified (certify only). */
  attack?: EmpiricalStage;
}

/**
 * Certifies every image of the batches at each σ (the `certify` job's and analyse's computation): every σ for an
 * image before the next image, so a cancel keeps each finished image with all its σ (`partial`).
 */
export async function certifyImages(
  input: CertifyInput,
  hooks: Pick<JobHooks, 'signal' | 'onProgress'> & { onSection?: (s: CertificationSection) => void },
): Promise<{ section: CertificationSection; skipped: { relPath: string; error: string }[]; partial: boolean }> {
  const { classifier, opts, runSeed, batch, total } = input;
  const per = classifier.pixelsPerSample;
  const params: CertificationParams = {
    preset: opts.preset,
    n0: opts.n0,
    n: opts.n,
    alpha: opts.alpha,
    sigmas: [...opts.sigmas],
    noiseSpace: 'pixels',
    noiseNote:
      "Gaussian noise N(0, σ²I) added to the pixels in [0,1] before the model's scaling and mean/std, not clipped; radii are L2 in the same pixel units",
    samplesPerCall: batch,
  };
  const runs = opts.sigmas.map(() => ({
    prediction: [] as (number | null)[],
    nA: [] as number[],
    pALower: [] as number[],
    radius: [] as (number | null)[],
    correct: [] as boolean[],
    seconds: [] as number[],
  }));
  const images = { file: [] as string[], label: [] as number[] };
  const skipped: { relPath: string; error: string }[] = [];
  const radii = radiusGrid(opts.sigmas);
  const baseSection = (): CertificationSection => ({
    kind: 'certification',
    params,
    images: { file: [...images.file], label: [...images.label] },
    radii,
    runs: runs.map((r, s): CertificationRun => {
      const abstained = r.prediction.filter((p) => p === null).length;
      return {
        sigma: opts.sigmas[s],
        ...r,
        prediction: [...r.prediction],
        certifiedAccuracy: radii.map((radius) => certifiedAccuracyAt(r, radius)),
        abstentionRate: r.prediction.length ? abstained / r.prediction.length : 0,
        seed: seedFor(runSeed, 'certify/noise', s, 0),
        totalSeconds: r.seconds.reduce((a, b) => a + b, 0),
      };
    }),
  });

  const section = (): CertificationSection => (input.attack ? input.attack.decorate(baseSection()) : baseSection());

  const perImage = opts.sigmas.length * (opts.n0 + opts.n);
  const stage = `certifying (${opts.sigmas.length} σ × ${opts.n0 + opts.n} samples per image)`;
  let partial = false;
  try {
    let index = 0,
      finished = 0;
    hooks.onProgress?.({ stage, done: 0, total, fraction: 0 });
    for await (const imageBatch of input.batches) {
      for (const f of imageBatch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
      finished += imageBatch.failed.length;
      if (imageBatch.samples.length && input.onCleanScores) {
        const cleanScores = await classifier.scores(imageBatch.pixels, imageBatch.samples.length);
        await input.onCleanScores(
          cleanScores,
          imageBatch.samples.map((x) => x.label),
        );
      }
      const batchStart = images.file.length;
      const batchSampleIndex: number[] = [];
      for (let i = 0; i < imageBatch.samples.length; i++) {
        const sample = imageBatch.samples[i];
        const imageIndex = input.indexOf(sample, index);
        index = imageIndex + 1;
        const x = imageBatch.pixels.subarray(i * per, (i + 1) * per);
        let samplesDone = 0;
        const results = [];
        for (let s = 0; s < opts.sigmas.length; s++) {
          const t = performance.now();
          const result = await certifySmoothed(classifier, x, {
            n0: opts.n0,
            n: opts.n,
            alpha: opts.alpha,
            sigma: opts.sigmas[s],
            batch,
            rng: new Rng(seedFor(runSeed, 'certify/noise', s, imageIndex)),
            ...(hooks.signal ? { signal: hooks.signal } : {}),
            onSamples: (count) => {
              samplesDone += count;
              hooks.onProgress?.({ stage, done: finished, total, fraction: (finished + samplesDone / perImage) / total });
            },
          });
          results.push({ ...result, seconds: (performance.now() - t) / 1000 });
        }
        // Only now, with every σ done, does the image join the report.
        batchSampleIndex.push(imageIndex);
        images.file.push(sample.relPath);
        images.label.push(sample.label);
        results.forEach((r, s) => {
          runs[s].prediction.push(r.prediction);
          runs[s].nA.push(r.nA);
          runs[s].pALower.push(r.pALower);
          runs[s].radius.push(r.radius);
          runs[s].correct.push(r.prediction === sample.label);
          runs[s].seconds.push(r.seconds);
        });
        finished++;
        hooks.onProgress?.({ stage, done: finished, total, fraction: finished / total });
      }
      await input.attack?.attackBatch(
        imageBatch.pixels.subarray(0, imageBatch.samples.length * per),
        images.label.slice(batchStart),
        batchSampleIndex,
        { done: finished, total },
        hooks,
      );
      hooks.onSection?.(section());
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
    partial = true;
  }
  return { section: section(), skipped, partial };
}

export async function runCertifyJob(req: JobRequest, opts: CertifyOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const per = channelCount(config.preprocessing) * config.preprocessing.height * config.preprocessing.width;
  const batch = samplesPerCall(config.runtime.batchSize, config.provenance['runtime.batchSize'] === 'default', per);
  const classifier = await Classifier.open({ ...config, runtime: { ...config.runtime, batchSize: batch } }, prepared.info, prepared.model);
  const runSeed = config.seed;
  const started = performance.now();
  const cleanTally = new CleanPredictionTally();
  const attack = opts.attack ? empiricalStage(opts.attack, opts, { prepared, classifier, runSeed, batch }) : undefined;
  let result;
  try {
    result = await certifyImages(
      {
        classifier,
        // A few images at a time: each image is certified on its own, in many model calls.
        batches: streamPixelBatches(data.samples, pixelSpecFor(config.preprocessing), 8, {
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        }),
        total: data.samples.length,
        indexOf: (sample, from) => data.samples.indexOf(sample, from),
        opts,
        runSeed,
        batch,
        // The base classifier's clean predictions are checked as every run's are (class order, preprocessing).
        onCleanScores: async (scores, labels) => {
          cleanTally.add(scores, labels, classifier.outputKind!.kind);
          await attack?.prepare(scores, labels.length);
        },
        ...(attack ? { attack } : {}),
      },
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
        onSection: (s) => hooks.onSection?.('certification', s),
      },
    );
  } catch (e) {
    await attack?.dispose();
    await classifier.dispose();
    throw e;
  } finally {
    const attackSeconds = attack?.seconds ?? 0;
    prepared.timings.certify = (performance.now() - started) / 1000 - attackSeconds;
    if (attack) prepared.timings.empiricalAttack = attackSeconds;
  }
  try {
    const final = result.section;
    const problem = empiricalProblem(final);
    if (problem) throw new EngineError('RUNTIME', `certify: the empirical attack's rows are malformed: ${problem}`);
    hooks.onSection?.('certification', final);
    const evidence = cleanTally.evidence();
    const sanity = evidence.evaluated > 0 ? sanitySection(evidence, prepared, data, classifier) : null;
    if (sanity) hooks.onSection?.('sanity', sanity);
    return buildReport({
      command: 'certify',
      prepared,
      data,
      classifier,
      status: result.partial ? 'partial' : 'complete',
      skippedImages: result.skipped,
      sections: { certification: final, ...(sanity ? { sanity } : {}) },
      seeds: seedRecord(runSeed, 'certify/noise'),
      warnings: [...(sanity ? sanityWarnings(sanity) : []), ...contradictionWarnings(final)],
    });
  } finally {
    await attack?.dispose();
    await classifier.dispose();
  }
}
