/**
 * `fourier-heatmap`: the Fourier heat map (spectral/fourierHeatmap.ts) of the model, and with a cutoff also
 * of the model behind the low-pass filter, over the sampled images. The images are decoded once and kept;
 * then cell after cell (one per Hermitian pair) every image is perturbed by ±ε·U(k), clipped and classified
 * by each model. Several cells share a model call when the image set is small. A cancel — honoured between
 * model calls — keeps every finished cell (the others stay null) and marks the report partial.
 */
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { LowPassModel } from '../defences/lowPassModel';
import { EngineError, isEngineError } from '../errors';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import type { ScoreModel } from '../runtime/scoreModel';
import {
  FOURIER_HEATMAP_DEFINITION,
  defaultEpsilon,
  distinctCells,
  fourierBasis,
  frequencyGrid,
  mapSummary,
  type FourierHeatmapParams,
  type FourierHeatmapSection,
  type GridCell,
} from '../spectral/fourierHeatmap';
import { Rng } from '../util/random';
import { seedFor, seedRecord } from '../util/seeds';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';

export type FourierHeatmapOptions = JobOptionsByKind['fourier-heatmap'];

/** Perturbed images per model call at most (several cells per call when the image set is smaller). */
const IMAGES_PER_CALL = 512;
const BYTES_PER_CALL = 64 * 1024 * 1024;
/** The decoded images are kept for the whole run. */
const MAX_IMAGE_BYTES = 1024 * 1024 * 1024;

/** Top-1 predictions (argmax, first of ties) of count rows of `classes` scores. */
export function argmaxRows(scores: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (scores[i * classes + k] > scores[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

/**
 * Writes clip(x + ε·r_{n,c}·U, 0, 1) for every image n and channel c into `out`, the signs r drawn from `rng`
 * in image-then-channel order (one draw per image and channel).
 */
export function perturbWithBasis(
  pixels: Float32Array,
  count: number,
  channels: number,
  basis: Float64Array,
  epsilon: number,
  rng: Rng,
  out: Float32Array,
): void {
  const plane = basis.length;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      const a = rng.next() < 0.5 ? -epsilon : epsilon;
      const o = (n * channels + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = pixels[o + i] + a * basis[i];
        out[o + i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
}

export async function runFourierHeatmapJob(req: JobRequest, opts: FourierHeatmapOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const p = config.preprocessing;
  const channels = channelCount(p);
  const plane = p.height * p.width;
  const per = channels * plane;
  if (data.samples.length * per * 4 > MAX_IMAGE_BYTES)
    throw new EngineError(
      'USAGE',
      `fourier-heatmap keeps the decoded images in memory: ${data.samples.length} images of ${channels}×${p.height}×${p.width} need ${Math.round((data.samples.length * per * 4) / 2 ** 20)} MB (at most ${MAX_IMAGE_BYTES / 2 ** 20} MB)`,
      { hint: 'sample fewer images with --limit N' },
    );
  const classifier = await Classifier.open(config, prepared.info, prepared.model);
  try {
    const models: { kind: 'model' | 'low-pass'; label: string; cutoff: number | null; model: ScoreModel }[] = [
      { kind: 'model', label: 'model', cutoff: null, model: classifier },
    ];
    if (opts.cutoff !== null)
      models.push({
        kind: 'low-pass',
        label: `low-pass, cutoff ${opts.cutoff}`,
        cutoff: opts.cutoff,
        model: new LowPassModel(classifier, opts.cutoff),
      });

    // Decode every image once.
    const skipped: { relPath: string; error: string }[] = [];
    const chunks: Float32Array[] = [];
    const labels: number[] = [];
    for await (const batch of streamPixelBatches(data.samples, pixelSpecFor(p), 64, hooks.signal ? { signal: hooks.signal } : {})) {
      for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
      chunks.push(batch.pixels);
      for (const s of batch.samples) labels.push(s.label);
    }
    const count = labels.length;
    const pixels = new Float32Array(count * per);
    chunks.reduce((o, c) => (pixels.set(c, o), o + c.length), 0);

    const grid = frequencyGrid(p.height, p.width, opts.maxSide);
    const cells = distinctCells(grid, p.height, p.width);
    const size = grid.fy.length * grid.fx.length;
    const epsilon = opts.epsilon ?? defaultEpsilon(p.height, p.width);
    const runSeed = config.seed;
    const params: FourierHeatmapParams = {
      epsilon,
      epsilonSource: opts.epsilon === null ? 'default' : 'user',
      epsilonNote:
        opts.epsilon === null
          ? `ε = 0.125·√(H·W) = ${Number(epsilon.toPrecision(4))}: Yin et al.'s ε = 4 at 32×32 scaled to keep the per-pixel RMS 0.125; L2 norm per channel in [0,1] pixel units`
          : 'L2 norm per channel in [0,1] pixel units',
      height: p.height,
      width: p.width,
      channels,
      stride: grid.stride,
      maxSide: opts.maxSide,
      cellsDone: 0,
      cellsTotal: cells.length,
      images: count,
      passesPerModel: cells.length * count,
      seed: seedFor(runSeed, 'fourier/sign', 0),
    };
    const errors = models.map(() => new Array<number | null>(size).fill(null));
    const seconds = models.map(() => 0);
    const cleanError = models.map(() => 0);
    const section = (): FourierHeatmapSection => ({
      kind: 'fourier-heatmap',
      definition: FOURIER_HEATMAP_DEFINITION,
      params: { ...params },
      fy: grid.fy,
      fx: grid.fx,
      maps: models.map((m, i) => ({
        model: m.kind,
        label: m.label,
        cutoff: m.cutoff,
        cleanError: cleanError[i],
        errorRate: [...errors[i]],
        ...mapSummary(errors[i], grid),
        seconds: seconds[i],
      })),
    });

    const started = performance.now();
    const cleanTally = new CleanPredictionTally();
    let partial = false;
    const stage = `Fourier heat map (${cells.length} frequency pairs × ${count} images × ${models.length} model${models.length > 1 ? 's' : ''})`;
    try {
      if (count === 0) throw new EngineError('USAGE', 'fourier-heatmap: no image could be decoded', { hint: 'see the skipped images' });
      const classesOf = async (model: ScoreModel, x: Float32Array, n: number) => {
        const scores = await model.scores(x, n);
        return argmaxRows(scores, n, scores.length / n);
      };
      for (let m = 0; m < models.length; m++) {
        const t = performance.now();
        const cleanScores = await models[m].model.scores(pixels, count);
        // The plain model's clean predictions are checked as every run's are (class order, preprocessing).
        if (models[m].kind === 'model') cleanTally.add(cleanScores, labels, classifier.outputKind!.kind);
        const pred = argmaxRows(cleanScores, count, cleanScores.length / count);
        cleanError[m] = pred.reduce((e, k, i) => e + (k === labels[i] ? 0 : 1), 0) / count;
        seconds[m] += (performance.now() - t) / 1000;
      }
      const cellsPerCall = Math.max(1, Math.min(Math.floor(IMAGES_PER_CALL / count), Math.floor(BYTES_PER_CALL / (4 * per * count))));
      const buffer = new Float32Array(Math.min(cellsPerCall, cells.length) * count * per);
      hooks.onProgress?.({ stage, done: 0, total: cells.length, fraction: 0 });
      for (let start = 0; start < cells.length; start += cellsPerCall) {
        if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
        const group: GridCell[] = cells.slice(start, start + cellsPerCall);
        group.forEach((cell, g) => {
          const basis = fourierBasis(p.height, p.width, cell.fy, cell.fx);
          const rng = new Rng(seedFor(runSeed, 'fourier/sign', cell.index));
          perturbWithBasis(pixels, count, channels, basis, epsilon, rng, buffer.subarray(g * count * per, (g + 1) * count * per));
        });
        const x = buffer.subarray(0, group.length * count * per);
        const found: number[][] = [];
        for (let m = 0; m < models.length; m++) {
          const t = performance.now();
          const pred = await classesOf(models[m].model, x, group.length * count);
          seconds[m] += (performance.now() - t) / 1000;
          found.push(
            group.map((_, g) => {
              let wrong = 0;
              for (let i = 0; i < count; i++) if (pred[g * count + i] !== labels[i]) wrong++;
              return wrong / count;
            }),
          );
        }
        // Only now, with every model done, do the group's cells (and their mirrors) join the section.
        group.forEach((cell, g) =>
          models.forEach((_, m) => {
            errors[m][cell.index] = found[m][g];
            errors[m][cell.mirror] = found[m][g];
          }),
        );
        params.cellsDone += group.length;
        hooks.onProgress?.({ stage, done: params.cellsDone, total: cells.length, fraction: params.cellsDone / cells.length });
        hooks.onSection?.('fourierHeatmap', section());
      }
    } catch (e) {
      if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
      partial = true;
    } finally {
      prepared.timings.fourierHeatmap = (performance.now() - started) / 1000;
    }
    const final = section();
    hooks.onSection?.('fourierHeatmap', final);
    const evidence = cleanTally.evidence();
    const sanity = evidence.evaluated > 0 ? sanitySection(evidence, prepared, data, classifier) : null;
    if (sanity) hooks.onSection?.('sanity', sanity);
    return buildReport({
      command: 'fourier-heatmap',
      prepared,
      data,
      classifier,
      status: partial ? 'partial' : 'complete',
      skippedImages: skipped,
      sections: { fourierHeatmap: final, ...(sanity ? { sanity } : {}) },
      seeds: seedRecord(runSeed, 'fourier/sign'),
      warnings: sanity ? sanityWarnings(sanity) : [],
    });
  } finally {
    await classifier.dispose();
  }
}
