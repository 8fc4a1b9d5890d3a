/**
 * Attack test fixtures on the shared models: the reference's image order, pixels, labels, the clean
 * predictions, and an AttackContext with analytic gradients — plus torchattacks' recorded rows.
 */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../../src/engine/data/decodeImage';
import { rasterToPixels } from '../../../src/engine/data/pixels';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { attackContext, gradientProvider, type GradientChoice } from '../../../src/engine/attacks/context';
import type { AttackContext, Criterion } from '../../../src/engine/attacks/types';
import { topK } from '../../../src/engine/eval/scores';
import { sharedManifest, sharedPath } from '../../helpers/shared';

export interface ReferenceRow {
  params: Record<string, unknown>;
  attacked_accuracy: number;
  attacked_correct: number;
  attack_success_rate_on_correct: number;
  num_successful: number;
  num_clean_correct: number;
  l2_successful: { mean: number; median: number; max: number };
  l2_per_image?: (number | null)[];
}

export interface ModelReference {
  clean_correct: number;
  images: string[];
  labels: number[];
  attacks: Record<string, ReferenceRow>;
}

export function attackReference(model: string): ModelReference {
  return (JSON.parse(readFileSync(sharedPath('reference', 'attacks-reference.json'), 'utf8')) as { models: Record<string, ModelReference> })
    .models[model];
}

export interface AttackFixture {
  ctx: AttackContext;
  /** Pixels of the selected images (reference order), count × per. */
  pixels: Float32Array;
  labels: number[];
  /** Reference image indices of the selection. */
  indices: number[];
  /** Which selected images the model classifies correctly (top-1). */
  correct: boolean[];
  per: number;
  close(): Promise<void>;
}

/** Loads `model` and the reference images at `indices` (default: all 500). */
export async function attackFixture(
  model: string,
  opts: { indices?: number[]; criterion?: Criterion; seed?: number; gradient?: GradientChoice } = {},
): Promise<AttackFixture> {
  const entry = sharedManifest().find((m) => m.name === model)!;
  const ref = attackReference(model);
  const prepared = await prepareModel({
    modelPath: sharedPath('models', entry.file),
    overrides: {
      ...(entry.mean && entry.std ? { input: { mean: entry.mean, std: entry.std } } : {}),
      runtime: { executionProvider: 'cpu', threads: 2, batchSize: 100 },
    },
  });
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const p = prepared.config.preprocessing;
  const per = p.height * p.width;
  const indices = opts.indices ?? ref.images.map((_, i) => i);
  const pixels = new Float32Array(indices.length * per);
  indices.forEach((idx, i) => {
    const file = sharedPath(entry.dataset!, ref.images[idx]);
    const raster = decodeImage(readFileSync(file), file);
    pixels.set(
      rasterToPixels(raster, { height: p.height, width: p.width, channels: p.channels, resize: p.resize, filter: p.resizeFilter }),
      i * per,
    );
  });
  const labels = indices.map((i) => ref.labels[i]);
  const scores = await classifier.scores(pixels, indices.length);
  const classes = scores.length / indices.length;
  const correct = labels.map((l, i) => topK(scores.subarray(i * classes, (i + 1) * classes), 1)[0] === l);
  const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses!);
  const gradients = gradientProvider(
    classifier,
    builder,
    opts.gradient ?? 'analytic',
    { executionProvider: 'cpu', threads: 2, maxBatch: 100, label: model },
    opts.seed ?? 0,
  );
  const ctx = attackContext(classifier, gradients, opts.criterion ?? 'top1', opts.seed ?? 0);
  return {
    ctx,
    pixels,
    labels,
    indices,
    correct,
    per,
    close: async () => {
      await gradients.dispose();
      await classifier.dispose();
    },
  };
}

/** The selected images that are correctly classified, as an attack batch. */
export function correctBatch(f: AttackFixture): { pixels: Float32Array; labels: number[]; positions: number[] } {
  const positions = f.correct.flatMap((c, i) => (c ? [i] : []));
  const pixels = new Float32Array(positions.length * f.per);
  positions.forEach((pos, k) => pixels.set(f.pixels.subarray(pos * f.per, (pos + 1) * f.per), k * f.per));
  return { pixels, labels: positions.map((pos) => f.labels[pos]), positions };
}
