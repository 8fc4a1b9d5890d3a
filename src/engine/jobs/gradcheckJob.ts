/** `gradcheck`: analytic gradients vs finite differences on a few of the user's own images. */
import { performance } from 'node:perf_hooks';
import { EngineError } from '../errors';
import { streamPixelBatches } from '../data/batches';
import { pixelSpecFor } from '../input/pixelSpec';
import { Classifier } from '../runtime/classifier';
import { gradientBuilderFor } from '../grad/forClassifier';
import { GradientModel } from '../grad/gradientModel';
import { DEFAULT_ESTIMATE, EstimatedGradient, type GradientSource } from '../grad/estimatedGradient';
import { gradcheck, type GradcheckImage, type GradcheckOptions } from '../grad/gradcheck';
import type { LossHead } from '../grad/lossHeads';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';

export interface GradcheckSection {
  kind: 'gradcheck';
  /** 'estimated' when the gradient came from the forward-only NES fallback. */
  gradient: 'analytic' | 'estimated';
  head: LossHead;
  step: number;
  maxCoordinates: number;
  seed: number;
  jitter: number;
  /** Notes from the gradient builder (e.g. probabilities turned into log-probabilities). */
  notes: string[];
  images: (GradcheckImage & { relPath: string })[];
  worstCosine: number;
  worstRelError: number;
  seconds: number;
}

export interface GradcheckJobOptions extends Partial<GradcheckOptions> {
  images?: number;
  /** Default: the margin max_{j≠y} z_j − z_y, whose gradient does not vanish on confidently classified images as cross-entropy's does. */
  head?: LossHead;
  /** 'estimated' checks the NES fallback instead of the gradient model. */
  gradient?: 'analytic' | 'estimated';
}

export async function runGradcheckJob(req: JobRequest, opts: GradcheckJobOptions = {}, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  prepared.config.limit = opts.images ?? prepared.config.limit ?? 4;
  const data = await prepareData(prepared);
  const classifier = await Classifier.open(prepared.config, prepared.info);
  let grads: GradientSource | undefined;
  try {
    const t0 = performance.now();
    const first = await streamPixelBatches(data.samples, pixelSpecFor(prepared.config.preprocessing), data.samples.length, hooks.signal ? { signal: hooks.signal } : {}).next();
    if (first.done || first.value.samples.length === 0) {
      throw new EngineError('DATASET_INVALID', `${data.dataset.root}: none of the sampled images could be read`, { file: data.dataset.root });
    }
    const batch = first.value;
    await classifier.scores(batch.pixels.subarray(0, classifier.pixelsPerSample), 1); // settles logits vs probabilities
    const head: LossHead = opts.head ?? { kind: 'cw-margin', targeted: true };
    let notes: string[] = [];
    if (opts.gradient === 'estimated') {
      grads = new EstimatedGradient(classifier, head, { ...DEFAULT_ESTIMATE, seed: opts.seed ?? prepared.config.seed });
      notes = [`gradient estimated by NES (${DEFAULT_ESTIMATE.pairs} antithetic pairs, σ = ${DEFAULT_ESTIMATE.sigma}): expect a cosine well below 1`];
    } else {
      const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses ?? undefined);
      notes = builder.notes;
      grads = await GradientModel.open(builder, head, {
        executionProvider: prepared.config.runtime.executionProvider, threads: prepared.config.runtime.threads, maxBatch: prepared.config.runtime.batchSize, label: prepared.model.path,
      });
    }
    const options: GradcheckOptions = { step: opts.step ?? 1e-3, maxCoordinates: opts.maxCoordinates ?? 1024, seed: opts.seed ?? prepared.config.seed, jitter: opts.jitter ?? 1e-2 };
    hooks.onLog?.(`checking ${batch.samples.length} image(s), up to ${options.maxCoordinates} pixel coordinates each, step ${options.step}`);
    const results = await gradcheck(classifier, grads, batch.pixels, batch.samples.map((s) => s.label), options);
    const section: GradcheckSection = {
      kind: 'gradcheck', gradient: grads.kind, head, ...options, notes,
      images: results.map((r) => ({ ...r, relPath: batch.samples[r.index].relPath })),
      worstCosine: Math.min(...results.map((r) => r.cosine)),
      worstRelError: Math.max(...results.map((r) => r.relError)),
      seconds: (performance.now() - t0) / 1000,
    };
    prepared.timings.gradcheck = section.seconds;
    return buildReport({ command: 'gradcheck', prepared, data, classifier, status: 'complete', skippedImages: batch.failed.map((f) => ({ relPath: f.sample.relPath, error: f.error })), sections: { gradcheck: section }, seeds: { gradcheck: options.seed } });
  } finally {
    await grads?.dispose();
    await classifier.dispose();
  }
}
