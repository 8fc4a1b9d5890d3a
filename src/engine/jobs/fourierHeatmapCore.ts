/**
 * The Fourier heat map's computation (spectral/fourierHeatmap.ts), shared by the `fourier-heatmap` job and
 * analyse: decoded images in, one map per model out. Cell after cell (one per Hermitian pair) every image is
 * perturbed by ±ε·U(k), clipped and classified by each model; several cells share a model call when the
 * image set is small. A randomized model (post-averaging) is built afresh per cell from a per-cell seed, so
 * its map is one seeded draw per image and cell, whatever the grouping. A cancel — honoured between model
 * calls — keeps every finished cell (the others stay null) and reports `partial`.
 */
import { performance } from 'node:perf_hooks';
import type { Preprocessing } from '../config/runConfig';
import { channelCount } from '../data/pixels';
import { LowPassModel, checkCutoff } from '../defences/lowPassModel';
import { PostAveragedModel, DEFAULT_K, pointsPerImage, radiusHint, radiusInPixels, randomDirections } from '../defences/postAveraging';
import { roundTo } from '../defences/defenceSweeps';
import { EngineError, isEngineError } from '../errors';
import type { ScoreModel } from '../runtime/scoreModel';
import {
  FOURIER_DEFENDED_MAX_SIDE,
  FOURIER_HEATMAP_DEFINITION,
  defaultEpsilon,
  distinctCells,
  fourierBasis,
  frequencyGrid,
  mapSummary,
  type FourierDefence,
  type FourierHeatmapMap,
  type FourierHeatmapParams,
  type FourierHeatmapSection,
  type GridCell,
} from '../spectral/fourierHeatmap';
import { defaultSpectrumCutoff } from '../spectral/spectra';
import { Rng } from '../util/random';
import { seedFor } from '../util/seeds';
import type { JobHooks } from './evalJob';

/** Perturbed images per model call at most (several cells per call when the image set is smaller). */
const IMAGES_PER_CALL = 512;
const BYTES_PER_CALL = 64 * 1024 * 1024;

/** One model of the heat map: a fixed ScoreModel, or (randomized) one built per cell from that cell's key. */
export interface FourierModel {
  kind: FourierHeatmapMap['model'];
  label: string;
  cutoff: number | null;
  defence?: FourierHeatmapMap['defence'];
  /** Underlying forward passes per image it classifies (post-averaging: 6K+1). */
  pointsPerImage: number;
  model?: ScoreModel;
  /** Key 0: the clean images; key i + 1: the cell at grid index i. */
  forCell?: (key: number) => ScoreModel;
}

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

/** Which defences a heat map includes: the asked ones, else both for images up to 64×64 (and low-pass whenever a cutoff is given). */
export function fourierDefences(asked: readonly FourierDefence[] | undefined, cutoff: number | null, p: Preprocessing): FourierDefence[] {
  if (asked !== undefined) return [...asked];
  if (Math.max(p.height, p.width) <= FOURIER_DEFENDED_MAX_SIDE) return ['post-averaging', 'low-pass'];
  return cutoff !== null ? ['low-pass'] : [];
}

/**
 * The models of a heat map: the model as given, then each defence at analyse's defaults without a sweep —
 * post-averaging with K = 15 random directions at the paper-derived radius 0.0915·√d (the centre of analyse's
 * radius grid), low-pass at the given cutoff or max(1, ⌊min(H, W)/4⌋) (the spectra's k_c).
 */
export function fourierModels(
  base: ScoreModel,
  p: Preprocessing,
  defences: readonly FourierDefence[],
  cutoff: number | null,
  runSeed: number,
): FourierModel[] {
  const models: FourierModel[] = [{ kind: 'model', label: 'model', cutoff: null, pointsPerImage: 1, model: base }];
  for (const d of defences) {
    if (d === 'low-pass') {
      const k = cutoff ?? defaultSpectrumCutoff(p.height, p.width);
      checkCutoff(k, p);
      models.push({
        kind: 'low-pass',
        label: `low-pass, cutoff ${k}`,
        cutoff: k,
        pointsPerImage: 1,
        defence: {
          params: { cutoff: k, chosenBy: cutoff === null ? 'default' : 'user' },
          note:
            cutoff === null
              ? `cutoff ${k} = max(1, ⌊min(H, W)/4⌋), the spectra's k_c (analyse chooses its cutoff by a sweep)`
              : `cutoff ${k} given`,
        },
        model: new LowPassModel(base, k),
      });
    } else {
      const K = DEFAULT_K;
      const radius = roundTo(radiusHint(channelCount(p) * p.height * p.width), 3);
      const sampler = randomDirections(p);
      const seed = seedFor(runSeed, 'fourier/post-averaging', 0);
      const rngFor = (key: number) => new Rng(seedFor(runSeed, 'fourier/post-averaging', key));
      models.push({
        kind: 'post-averaging',
        label: `post-averaging, K ${K}, r ${radius}`,
        cutoff: null,
        pointsPerImage: pointsPerImage(K),
        defence: {
          params: {
            K,
            radius,
            radiusPixels: roundTo(radiusInPixels(radius, p), 4),
            radiusSpace: 'model-input',
            directions: 'random',
            points: pointsPerImage(K),
            seed,
          },
          note:
            `K = ${K} random directions, r = ${radius} (model-input units) = 0.0915·√d, the centre of analyse's radius grid (analyse chooses r by a sweep); ` +
            'randomized: the map is one seeded draw of directions per image and cell',
        },
        forCell: (key) => new PostAveragedModel(base, { K, radius, sampler, rng: rngFor(key) }),
      });
    }
  }
  return models;
}

export interface FourierRunInput {
  pixels: Float32Array;
  labels: number[];
  height: number;
  width: number;
  channels: number;
  epsilon: number | null;
  maxSide: number;
  /** A grid stride of at least this (analyse's reduction for large images); the grid's own otherwise. */
  minStride?: number;
  runSeed: number;
  models: FourierModel[];
  /** The clean scores of the model as given (the sanity check of class order and preprocessing). */
  onCleanScores?: (scores: Float32Array) => void;
}

/** The grid a run uses: maxSide's, made coarser when a minimum stride asks for it. */
export function fourierGrid(h: number, w: number, maxSide: number, minStride = 1) {
  return frequencyGrid(h, w, maxSide, minStride);
}

/** Forward passes of the underlying model a heat map costs: (clean + distinct cells) × images × points per image, summed over models. */
export function fourierPasses(h: number, w: number, maxSide: number, images: number, points: number[], minStride = 1): number {
  const grid = fourierGrid(h, w, maxSide, minStride);
  const cells = distinctCells(grid, h, w).length;
  return points.reduce((sum, p) => sum + (cells + 1) * images * p, 0);
}

export async function computeFourierHeatmap(
  input: FourierRunInput,
  hooks: Pick<JobHooks, 'signal' | 'onProgress'> & { onSection?: (s: FourierHeatmapSection) => void },
): Promise<{ section: FourierHeatmapSection; partial: boolean }> {
  const { pixels, labels, height: h, width: w, channels, models } = input;
  const count = labels.length;
  const per = channels * h * w;
  const grid = fourierGrid(h, w, input.maxSide, input.minStride);
  const cells = distinctCells(grid, h, w);
  const size = grid.fy.length * grid.fx.length;
  const epsilon = input.epsilon ?? defaultEpsilon(h, w);
  const runSeed = input.runSeed;
  const params: FourierHeatmapParams = {
    epsilon,
    epsilonSource: input.epsilon === null ? 'default' : 'user',
    epsilonNote:
      input.epsilon === null
        ? `ε = 0.125·√(H·W) = ${Number(epsilon.toPrecision(4))}: Yin et al.'s ε = 4 at 32×32 scaled to keep the per-pixel RMS 0.125; L2 norm per channel in [0,1] pixel units`
        : 'L2 norm per channel in [0,1] pixel units',
    height: h,
    width: w,
    channels,
    stride: grid.stride,
    maxSide: input.maxSide,
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
      ...(m.defence ? { defence: m.defence } : {}),
      passes: (cells.length + 1) * count * m.pointsPerImage,
      cleanError: cleanError[i],
      errorRate: [...errors[i]],
      ...mapSummary(errors[i], grid),
      seconds: seconds[i],
    })),
  });
  const scoresOf = (m: FourierModel, key: number, x: Float32Array, n: number) => (m.model ?? m.forCell!(key)).scores(x, n);
  const classesOf = async (m: FourierModel, key: number, x: Float32Array, n: number) => {
    const scores = await scoresOf(m, key, x, n);
    return argmaxRows(scores, n, scores.length / n);
  };
  const errorOf = (pred: Int32Array, offset: number) => {
    let wrong = 0;
    for (let i = 0; i < count; i++) if (pred[offset + i] !== labels[i]) wrong++;
    return wrong / count;
  };

  const stage = `Fourier heat map (${cells.length} frequency pairs × ${count} images × ${models.length} model${models.length > 1 ? 's' : ''})`;
  let partial = false;
  try {
    if (count === 0) throw new EngineError('USAGE', 'fourier-heatmap: no image could be decoded', { hint: 'see the skipped images' });
    for (let m = 0; m < models.length; m++) {
      const t = performance.now();
      const cleanScores = await scoresOf(models[m], 0, pixels, count);
      if (models[m].kind === 'model') input.onCleanScores?.(cleanScores);
      cleanError[m] = errorOf(argmaxRows(cleanScores, count, cleanScores.length / count), 0);
      seconds[m] += (performance.now() - t) / 1000;
    }
    const cellsPerCall = Math.max(1, Math.min(Math.floor(IMAGES_PER_CALL / count), Math.floor(BYTES_PER_CALL / (4 * per * count))));
    const buffer = new Float32Array(Math.min(cellsPerCall, cells.length) * count * per);
    hooks.onProgress?.({ stage, done: 0, total: cells.length, fraction: 0 });
    for (let start = 0; start < cells.length; start += cellsPerCall) {
      if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
      const group: GridCell[] = cells.slice(start, start + cellsPerCall);
      group.forEach((cell, g) => {
        const basis = fourierBasis(h, w, cell.fy, cell.fx);
        const rng = new Rng(seedFor(runSeed, 'fourier/sign', cell.index));
        perturbWithBasis(pixels, count, channels, basis, epsilon, rng, buffer.subarray(g * count * per, (g + 1) * count * per));
      });
      const found: number[][] = [];
      for (let m = 0; m < models.length; m++) {
        const t = performance.now();
        const model = models[m];
        if (model.forCell) {
          // A randomized model: one call per cell, its own seeded draw.
          const row: number[] = [];
          for (let g = 0; g < group.length; g++) {
            if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
            const pred = await classesOf(model, group[g].index + 1, buffer.subarray(g * count * per, (g + 1) * count * per), count);
            row.push(errorOf(pred, 0));
          }
          found.push(row);
        } else {
          const pred = await classesOf(model, 0, buffer.subarray(0, group.length * count * per), group.length * count);
          found.push(group.map((_, g) => errorOf(pred, g * count)));
        }
        seconds[m] += (performance.now() - t) / 1000;
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
      hooks.onSection?.(section());
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
    partial = true;
  }
  return { section: section(), partial };
}
