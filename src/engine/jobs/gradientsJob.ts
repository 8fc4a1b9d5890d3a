/**
 * `gradients`: input gradients of a loss on the logits, with respect to the pixels, for every image of a
 * folder in sorted path order — for users who check their export against their training framework or use
 * our gradients elsewhere. Pixel space is the engine's: x = byte/255 in [0,1], planar C×H×W, before the
 * model's own scaling, mean/std and layout (those are inside the differentiated function).
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { streamPixelBatches } from '../data/batches';
import { openDataset, type DatasetSample } from '../data/dataset';
import { compareCodePoints, walkImages, type Ignored } from '../data/walk';
import { EngineError, isEngineError } from '../errors';
import { gradientBuilderFor } from '../grad/forClassifier';
import { GradientModel, type GradientInputs } from '../grad/gradientModel';
import type { LossHead } from '../grad/lossHeads';
import { pixelSpecFor } from '../input/pixelSpec';
import { Classifier } from '../runtime/classifier';
import { topK } from '../eval/scores';
import { prepareModel, type JobRequest, type PreparedModel } from './prepare';
import { sessionOptionsFor } from '../runtime/modelSession';

/** ce: cross-entropy against the target; margin: max_{j≠t} z_j − z_t (no clamp); logit: z_K itself. */
export type GradientLoss = { kind: 'ce' } | { kind: 'margin' } | { kind: 'logit'; index: number };

export interface GradientsOptions {
  loss: GradientLoss;
  /** Whose class the loss is measured against: the folder's label, or the model's own top-1 prediction. */
  target: 'label' | 'predicted';
  /** The first N images in sorted path order. */
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
}

export interface InputGradients {
  prepared: PreparedModel;
  root: string;
  /** Per image, in the order of the arrays: path relative to the folder, its label (null when unlabelled). */
  files: { relPath: string; label: number | null; className: string | null }[];
  classNames: string[] | null;
  /** The class each image's loss was measured against (its label or the model's prediction). */
  targets: number[];
  predicted: number[];
  loss: Float32Array;
  /** N×C×H×W, pixel space. */
  gradients: Float32Array;
  shape: [number, number, number, number];
  /** N×K scores as differentiated: the logits, or clamped log-probabilities for a probability output. */
  logits: Float32Array;
  numClasses: number;
  scores: 'logits' | 'log-probabilities';
  skipped: { relPath: string; error: string }[];
  notes: string[];
}

const MARGIN_NO_CLAMP = 1e30;

export function lossHeadFor(loss: GradientLoss): LossHead {
  switch (loss.kind) {
    case 'ce':
      return { kind: 'cross-entropy' };
    case 'margin':
      // The targeted form with t = the target class is max_{j≠t} z_j − z_t: it rises as the image leaves t.
      return { kind: 'cw-margin', targeted: true };
    case 'logit':
      return { kind: 'vjp' };
  }
}

export async function computeInputGradients(req: JobRequest, opts: GradientsOptions): Promise<InputGradients> {
  const prepared = await prepareModel(req);
  const { config, info } = prepared;
  if (!config.imagesDir)
    throw new EngineError('USAGE', `${config.modelPath}: no image folder given`, {
      hint: 'pass --images DIR, or set "images" in robustness.json next to the model',
    });
  const { samples, classNames } = await listImages(prepared, config.imagesDir, opts.target);
  const chosen = opts.limit !== undefined ? samples.slice(0, opts.limit) : samples;
  const classifier = await Classifier.open(config, info, prepared.model);
  let model: GradientModel | null = null;
  try {
    const head = lossHeadFor(opts.loss);
    const files: InputGradients['files'] = [];
    const targets: number[] = [];
    const predicted: number[] = [];
    const skipped: InputGradients['skipped'] = [];
    const grads: Float32Array[] = [];
    const logits: Float32Array[] = [];
    const losses: Float32Array[] = [];
    let notes: string[] = [];
    let numClasses = 0;
    const stage = 'input gradients';
    opts.onProgress?.({ stage, done: 0, total: chosen.length });
    for await (const batch of streamPixelBatches(chosen, pixelSpecFor(config.preprocessing), classifier.batchSize, {
      ...(opts.signal ? { signal: opts.signal } : {}),
    })) {
      for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
      const count = batch.samples.length;
      if (count > 0) {
        const scores = await classifier.scores(batch.pixels, count);
        numClasses = scores.length / count;
        if (!model) {
          const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, numClasses);
          notes = [...(classifier.session.fallbackNote ? [classifier.session.fallbackNote] : []), ...builder.notes];
          model = await GradientModel.open(builder, head, {
            ...sessionOptionsFor(config.runtime),
            maxBatch: config.runtime.batchSize,
            label: prepared.model.path,
          });
        }
        const top1 = batch.samples.map((_, i) => topK(scores.subarray(i * numClasses, (i + 1) * numClasses), 1)[0]);
        const target = opts.target === 'predicted' ? top1 : batch.samples.map((s) => s.label);
        const extra: GradientInputs = { labels: target };
        if (opts.loss.kind === 'margin') extra.kappa = MARGIN_NO_CLAMP;
        if (opts.loss.kind === 'logit') {
          const k = opts.loss.index;
          if (k >= numClasses)
            throw new EngineError('USAGE', `--loss logit:${k}: the model has ${numClasses} outputs (0…${numClasses - 1})`);
          const cotangent = new Float32Array(count * numClasses);
          for (let i = 0; i < count; i++) cotangent[i * numClasses + k] = 1;
          extra.cotangent = cotangent;
        }
        const out = await model.compute(batch.pixels, count, extra);
        grads.push(out.grad.slice());
        logits.push(out.logits.slice());
        losses.push(out.loss.slice());
        batch.samples.forEach((s, i) => {
          const labelled = s.label >= 0;
          files.push({ relPath: s.relPath, label: labelled ? s.label : null, className: labelled ? s.className : null });
          targets.push(target[i]);
          predicted.push(top1[i]);
        });
      }
      opts.onProgress?.({ stage, done: files.length + skipped.length, total: chosen.length });
    }
    if (files.length === 0)
      throw new EngineError('DATASET_INVALID', `${config.imagesDir}: none of the ${chosen.length} images could be read`, {
        file: config.imagesDir,
      });
    const [c, h, w] = model!.sampleShape;
    return {
      prepared,
      root: config.imagesDir,
      files,
      classNames,
      targets,
      predicted,
      loss: concat(losses),
      gradients: concat(grads),
      shape: [files.length, c, h, w],
      logits: concat(logits),
      numClasses,
      scores: classifier.outputKind!.kind === 'probabilities' ? 'log-probabilities' : 'logits',
      skipped,
      notes,
    };
  } finally {
    await model?.dispose();
    await classifier.dispose();
  }
}

/**
 * The folder's images in code-point order of their relative paths. A labelled folder (class subfolders, or
 * a labels file) is read as a dataset; a flat folder of unlabelled images is accepted when the target is the
 * model's own prediction.
 */
async function listImages(
  prepared: PreparedModel,
  root: string,
  target: GradientsOptions['target'],
): Promise<{ samples: DatasetSample[]; classNames: string[] | null }> {
  const { config, info } = prepared;
  try {
    const dataset = await openDataset({
      root,
      ...(config.classNames ? { classNames: config.classNames } : {}),
      ...(config.labelsFile ? { labelsFile: config.labelsFile } : {}),
      ...(info.output.numClasses !== null ? { numClasses: info.output.numClasses } : {}),
    });
    return { samples: [...dataset.samples].sort((a, b) => compareCodePoints(a.relPath, b.relPath)), classNames: dataset.classNames };
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'DATASET_INVALID')) throw e;
    const abs = resolve(root);
    const ignored: Ignored[] = [];
    const images = await walkImages(abs, '', ignored, new Set([await fs.realpath(abs)]));
    if (images.length === 0) throw e;
    if (target === 'label')
      throw new EngineError('DATASET_INVALID', `${abs}: the images have no labels (${e.message})`, {
        file: abs,
        hint: 'use --target predicted to measure each image against the model’s own prediction, or give labels (class subfolders or --labels FILE)',
      });
    const samples = images
      .sort((a, b) => compareCodePoints(a.relPath, b.relPath))
      .map((img) => ({ path: img.path, relPath: img.relPath, label: -1, className: '' }));
    return { samples, classNames: config.classNames };
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Per image: cosine and ‖g − r‖ / ‖r‖ between our gradient and a reference (rows of equal length). */
export function compareGradients(
  ours: ArrayLike<number>,
  reference: ArrayLike<number>,
  rows: number,
): { cosine: number; relError: number }[] {
  const per = ours.length / rows;
  const out: { cosine: number; relError: number }[] = [];
  for (let i = 0; i < rows; i++) {
    let dot = 0,
      gg = 0,
      rr = 0,
      dd = 0;
    for (let j = i * per; j < (i + 1) * per; j++) {
      const g = ours[j],
        r = reference[j];
      dot += g * r;
      gg += g * g;
      rr += r * r;
      dd += (g - r) * (g - r);
    }
    const cosine = gg === 0 && rr === 0 ? 1 : gg === 0 || rr === 0 ? 0 : dot / Math.sqrt(gg * rr);
    out.push({ cosine, relError: rr === 0 ? (dd === 0 ? 0 : Infinity) : Math.sqrt(dd / rr) });
  }
  return out;
}
