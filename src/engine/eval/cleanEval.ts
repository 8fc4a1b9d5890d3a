/**
 * Clean evaluation: stream the sampled images through the classifier batch by batch and accumulate
 * top-1/top-5 accuracy, per-class accuracy, the confusion matrix, confidence and throughput.
 * Cancellation stops after the current batch and returns what finished, marked partial.
 */
import { performance } from 'node:perf_hooks';
import type { DatasetSample } from '../data/dataset';
import { streamPixelBatches } from '../data/batches';
import { isEngineError } from '../errors';
import type { Classifier } from '../runtime/classifier';
import { pixelSpecFor } from '../input/pixelSpec';
import { rowProbabilities, topK } from './scores';
import { extendOutputRange, type OutputRange } from './sanity';
import type { Passes } from '../analyse/stageWork';

export interface Progress {
  stage: string;
  done: number;
  total: number;
  /** Share of the stage's model work done (0–1), where its images cost unequally; absent: done / total. */
  fraction?: number;
  /** The stage's model passes as the engine now counts them (exact where it knows them), for the ETA. */
  expected?: Passes;
}

export interface ImagePrediction {
  relPath: string;
  label: number;
  predicted: number;
  confidence: number;
  top5: number[];
}

export interface CleanEvalResult {
  partial: boolean;
  requested: number;
  evaluated: number;
  failed: { relPath: string; error: string }[];
  top1Correct: number;
  top1Accuracy: number;
  top5Correct: number;
  top5Accuracy: number;
  /** Mean probability of the predicted class. */
  meanConfidence: number;
  perClass: { className: string; total: number; correct: number; accuracy: number | null }[];
  /** confusion[true][predicted] counts, for up to DENSE_CONFUSION_MAX_CLASSES classes; null above. */
  confusion: number[][] | null;
  /** Above that, the non-zero cells [true, predicted, count] (a dense 1000-class matrix is 2 MB of zeros). */
  confusionCells?: [number, number, number][];
  predictions: ImagePrediction[];
  /** Range of the raw scores (the sanity checks tell probabilities from logits by it); null when nothing ran. */
  outputRange?: OutputRange | null;
  throughput: { seconds: number; inferenceSeconds: number; imagesPerSecond: number; batchSize: number };
}

export interface CleanEvalOptions {
  classNames: string[];
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export const DENSE_CONFUSION_MAX_CLASSES = 100;

export async function evaluateClean(classifier: Classifier, samples: DatasetSample[], opts: CleanEvalOptions): Promise<CleanEvalResult> {
  const numClasses = Math.max(opts.classNames.length, classifier.numClasses ?? 0);
  // counts by label · numClasses + predicted: only the cells that occur
  const cells = new Map<number, number>();
  const predictions: ImagePrediction[] = [];
  const failed: CleanEvalResult['failed'] = [];
  let outputRange: OutputRange | null = null;
  let top1 = 0,
    top5 = 0,
    confidenceSum = 0,
    inferenceSeconds = 0,
    partial = false;
  const started = performance.now();
  const spec = pixelSpecFor(classifier.preprocessing);
  const k = Math.min(5, numClasses);
  const probs = new Float64Array(numClasses);

  try {
    for await (const batch of streamPixelBatches(samples, spec, classifier.batchSize, { signal: opts.signal })) {
      for (const f of batch.failed) failed.push({ relPath: f.sample.relPath, error: f.error });
      const count = batch.samples.length;
      if (count > 0) {
        const t0 = performance.now();
        const scores = await classifier.scores(batch.pixels, count);
        inferenceSeconds += (performance.now() - t0) / 1000;
        const kind = classifier.outputKind!.kind;
        const classes = scores.length / count;
        outputRange = extendOutputRange(outputRange, scores, classes);
        for (let i = 0; i < count; i++) {
          const row = scores.subarray(i * classes, (i + 1) * classes);
          const ranking = topK(row, k);
          const predicted = ranking[0];
          const label = batch.samples[i].label;
          rowProbabilities(row, kind, probs);
          const confidence = probs[predicted];
          confidenceSum += confidence;
          if (predicted === label) top1++;
          if (ranking.includes(label)) top5++;
          if (label < numClasses && predicted < numClasses) {
            const cell = label * numClasses + predicted;
            cells.set(cell, (cells.get(cell) ?? 0) + 1);
          }
          predictions.push({ relPath: batch.samples[i].relPath, label, predicted, confidence, top5: ranking });
        }
      }
      opts.onProgress?.({ stage: 'clean evaluation', done: predictions.length + failed.length, total: samples.length });
      if (opts.signal?.aborted) {
        partial = true;
        break;
      }
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
    partial = true;
  }

  const evaluated = predictions.length;
  const seconds = (performance.now() - started) / 1000;
  const { perClass, confusion, confusionCells } = confusionSummary(cells, numClasses, opts.classNames);
  return {
    partial,
    requested: samples.length,
    evaluated,
    failed,
    ...accuracyTotals(evaluated, top1, top5, confidenceSum),
    perClass,
    confusion,
    ...(confusionCells ? { confusionCells } : {}),
    predictions,
    outputRange,
    throughput: { seconds, inferenceSeconds, imagesPerSecond: seconds > 0 ? evaluated / seconds : 0, batchSize: classifier.batchSize },
  };
}

/** Top-1 / top-5 counts and accuracies and the mean confidence over `evaluated` images (0 when there are none). */
export function accuracyTotals(
  evaluated: number,
  top1: number,
  top5: number,
  confidenceSum: number,
): Pick<CleanEvalResult, 'top1Correct' | 'top1Accuracy' | 'top5Correct' | 'top5Accuracy' | 'meanConfidence'> {
  return {
    top1Correct: top1,
    top1Accuracy: evaluated ? top1 / evaluated : 0,
    top5Correct: top5,
    top5Accuracy: evaluated ? top5 / evaluated : 0,
    meanConfidence: evaluated ? confidenceSum / evaluated : 0,
  };
}

/**
 * Per-class accuracy and the confusion matrix from its sparse cells (key: true·classes + predicted → count):
 * dense up to DENSE_CONFUSION_MAX_CLASSES classes, else the non-zero cells as [true, predicted, count].
 * The clean evaluation and a shard merge both count this way.
 */
export function confusionSummary(
  cells: Map<number, number>,
  numClasses: number,
  classNames: string[],
): Pick<CleanEvalResult, 'perClass' | 'confusion' | 'confusionCells'> {
  const totals = new Array<number>(numClasses).fill(0);
  for (const [key, n] of cells) totals[Math.floor(key / numClasses)] += n;
  const perClass = classNames.map((className, c) => {
    const total = totals[c] ?? 0;
    const correct = cells.get(c * numClasses + c) ?? 0;
    return { className, total, correct, accuracy: total > 0 ? correct / total : null };
  });
  if (numClasses <= DENSE_CONFUSION_MAX_CLASSES)
    return {
      perClass,
      confusion: Array.from({ length: numClasses }, (_, t) =>
        Array.from({ length: numClasses }, (__, p) => cells.get(t * numClasses + p) ?? 0),
      ),
    };
  const confusionCells = [...cells]
    .sort((a, b) => a[0] - b[0])
    .map(([key, n]): [number, number, number] => [Math.floor(key / numClasses), key % numClasses, n]);
  return { perClass, confusion: null, confusionCells };
}
