/** `gradcheck`: analytic gradients vs finite differences on a few of the user's own images. */
import { performance } from 'node:perf_hooks';
import { EngineError } from '../errors';
import { streamPixelBatches } from '../data/batches';
import { pixelSpecFor } from '../input/pixelSpec';
import { Classifier } from '../runtime/classifier';
import { gradientBuilderFor } from '../grad/forClassifier';
import { GradientModel } from '../grad/gradientModel';
import { DEFAULT_ESTIMATE, EstimatedGradient, type GradientSource } from '../grad/estimatedGradient';
import { OUTPUTS, PIXELS, type ClassifierGradientBuilder } from '../grad/classifierGradient';
import { Float64Reference } from '../grad/float64Reference';
import {
  DEFAULT_STEP,
  float32Reference,
  float64LossReference,
  gradcheck,
  type GradcheckImage,
  type GradcheckOptions,
  type GradcheckVerdict,
  type LossReference,
  type ReferencePrecision,
} from '../grad/gradcheck';
import { headLogits } from '../grad/lossOnLogits';
import type { LossHead } from '../grad/lossHeads';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';
import { sessionOptionsFor } from '../runtime/modelSession';

export interface GradcheckSection {
  kind: 'gradcheck';
  /** 'estimated' when the gradient came from the forward-only NES fallback. */
  gradient: 'analytic' | 'estimated';
  head: LossHead;
  /** Where the finite differences come from: a float64 copy of the graph (noise-free) or the float32 model (noise measured). */
  reference: { precision: ReferencePrecision; why: string };
  /** The first step tried (per-pixel RMS, pixel units); each image records the step it used. */
  step: number;
  directions: number;
  seed: number;
  jitter: number;
  /** Notes from the gradient builder (e.g. probabilities turned into log-probabilities). */
  notes: string[];
  images: (GradcheckImage & { relPath: string })[];
  /** DISAGREE if any image disagrees, else INCONCLUSIVE if any could not tell, else AGREE. */
  verdict: GradcheckVerdict;
  worstCosine: number;
  worstRelError: number;
  /** The largest relative noise floor over the images (random directions). */
  worstNoiseFloor: number;
  /** The same along each image's gradient direction; null when every gradient was zero. */
  alongGradient: { worstRelError: number; worstNoiseFloor: number } | null;
  seconds: number;
}

export interface GradcheckJobOptions extends Partial<GradcheckOptions> {
  images?: number;
  /** Default: the margin max_{j≠y} z_j − z_y, whose gradient does not vanish on confidently classified images as cross-entropy's does. */
  head?: LossHead;
  /** 'estimated' checks the NES fallback instead of the gradient model. */
  gradient?: 'analytic' | 'estimated';
  /** 'float32' skips the float64 copy (for comparison and tests); default: float64 where onnxruntime runs it. */
  reference?: 'auto' | 'float32';
}

export const DEFAULT_DIRECTIONS = 8;
/** Rows per call of the float64 copy (it runs outside the batched session layer). */
const FLOAT64_BATCH = 16;

export async function runGradcheckJob(req: JobRequest, opts: GradcheckJobOptions = {}, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  prepared.config.limit = opts.images ?? prepared.config.limit ?? 4;
  const data = await prepareData(prepared);
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  let grads: GradientSource | undefined;
  let float64: Float64Reference | undefined;
  try {
    const t0 = performance.now();
    const first = await streamPixelBatches(
      data.samples,
      pixelSpecFor(prepared.config.preprocessing),
      data.samples.length,
      hooks.signal ? { signal: hooks.signal } : {},
    ).next();
    if (first.done || first.value.samples.length === 0) {
      throw new EngineError('DATASET_INVALID', `${data.dataset.root}: none of the sampled images could be read`, {
        file: data.dataset.root,
      });
    }
    const batch = first.value;
    const probePixels = batch.pixels.subarray(0, classifier.pixelsPerSample);
    const probeScores = await classifier.scores(probePixels, 1); // also settles logits vs probabilities
    const head: LossHead = opts.head ?? { kind: 'cw-margin', targeted: true };
    let notes: string[] = [];
    let reference: LossReference = float32Reference(classifier);
    let why = 'the float32 model itself, with its noise floor measured';
    if (opts.gradient === 'estimated') {
      grads = new EstimatedGradient(classifier, head, { ...DEFAULT_ESTIMATE, seed: opts.seed ?? prepared.config.seed });
      notes = [
        `gradient estimated by NES (${DEFAULT_ESTIMATE.pairs} antithetic pairs, σ = ${DEFAULT_ESTIMATE.sigma}): expect a cosine well below 1`,
      ];
    } else {
      const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses ?? undefined);
      notes = builder.notes;
      grads = await GradientModel.open(builder, head, {
        ...sessionOptionsFor(prepared.config.runtime),
        maxBatch: prepared.config.runtime.batchSize,
        label: prepared.model.path,
      });
      if (opts.reference === 'float32') why = 'float32 by request (--reference float32)';
      else {
        const kind = classifier.outputKind!.kind;
        const probe = await probeFloat64(builder, head, Float64Array.from(probePixels), headLogits(probeScores, kind));
        if (probe.ok) {
          float64 = probe.reference;
          reference = float64LossReference(probe.reference, FLOAT64_BATCH);
          why = 'a float64 copy of the forward graph (no rounding noise)';
        } else why = `float32 model, noise floor measured (no float64 copy: ${probe.reason})`;
      }
    }
    const options: GradcheckOptions = {
      step: opts.step ?? DEFAULT_STEP[reference.precision],
      directions: opts.directions ?? DEFAULT_DIRECTIONS,
      seed: opts.seed ?? prepared.config.seed,
      jitter: opts.jitter ?? 1e-2,
    };
    hooks.onLog?.(
      `checking ${batch.samples.length} image(s) along ${options.directions} random directions each, finite differences from ${why}`,
    );
    const results = await gradcheck(
      reference,
      grads,
      batch.pixels,
      batch.samples.map((s) => s.label),
      options,
    );
    const verdicts = results.map((r) => r.verdict);
    const along = results.flatMap((r) => (r.alongGradient ? [r.alongGradient] : []));
    const section: GradcheckSection = {
      kind: 'gradcheck',
      gradient: grads.kind,
      head,
      reference: { precision: reference.precision, why },
      step: options.step!,
      directions: options.directions,
      seed: options.seed,
      jitter: options.jitter,
      notes,
      images: results.map((r) => ({ ...r, relPath: batch.samples[r.index].relPath })),
      verdict: verdicts.includes('DISAGREE') ? 'DISAGREE' : verdicts.includes('INCONCLUSIVE') ? 'INCONCLUSIVE' : 'AGREE',
      worstCosine: Math.min(...results.map((r) => r.cosine)),
      worstRelError: Math.max(...results.map((r) => r.relError)),
      worstNoiseFloor: Math.max(...results.map((r) => r.noiseFloor)),
      alongGradient: along.length
        ? { worstRelError: Math.max(...along.map((a) => a.relError)), worstNoiseFloor: Math.max(...along.map((a) => a.noiseFloor)) }
        : null,
      seconds: (performance.now() - t0) / 1000,
    };
    prepared.timings.gradcheck = section.seconds;
    return buildReport({
      command: 'gradcheck',
      prepared,
      data,
      classifier,
      status: 'complete',
      skippedImages: batch.failed.map((f) => ({ relPath: f.sample.relPath, error: f.error })),
      sections: { gradcheck: section },
      seeds: { gradcheck: options.seed },
    });
  } finally {
    await float64?.dispose();
    await grads?.dispose();
    await classifier.dispose();
  }
}

/** The float64 copy of the gradient model's forward part, if onnxruntime runs it and it reproduces the float32 logits. */
async function probeFloat64(builder: ClassifierGradientBuilder, head: LossHead, pixels: Float64Array, float32Logits: Float64Array) {
  return Float64Reference.probe(builder.build(head), PIXELS, OUTPUTS.logits, builder.pixelShape, pixels, (z) => {
    let worst = 0,
      size = 1;
    z.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - float32Logits[j]));
      size = Math.max(size, Math.abs(float32Logits[j]));
    });
    return worst <= 1e-3 * size ? undefined : `its logits differ from the model's by ${worst.toExponential(2)}`;
  });
}
