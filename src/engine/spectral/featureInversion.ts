/**
 * Feature inversion (Ilyas et al. 2019's robust-dataset construction; the Occluded Frequency paper's
 * experiment II): for a representation g, x_r = argmin ‖g(x_r) − g(x)‖² over [0,1]^d, started from a different
 * image x₀, by projected normalised-gradient descent. What x_r − x₀ looks like in the DCT spectrum says which
 * frequencies the representation is sensitive to: a natural model's features are matched by high-frequency
 * changes, a robust model's by low-frequency, image-like ones.
 */
import { EngineError } from '../errors';
import type { Map2D } from '../report/sections';
import type { Rng } from '../util/random';
import { dct2, frequencyBand } from './dct';

export const INVERSION_DEFINITION =
  'Feature inversion (Ilyas et al. 2019; Occluded Frequency, experiment II): for the representation g, x_r = argmin ‖g(x_r) − g(x)‖² over images in [0,1], ' +
  'started from x₀, a different image of the folder drawn with the run seed, by projected gradient descent: x ← clip(x − α_t·∇/‖∇‖₂, 0, 1), ' +
  'α_t falling from α₀ to α₀/100 on a cosine schedule; each image keeps its best iterate. The map is the mean |DCT(x_r − x₀)| over images and channels ' +
  '(orthonormal 2-D DCT-II, DC at the top left); the low/mid/high shares are the fractions of that mean |DCT| mass in the frequency bands given ' +
  '(band of (u, v) = max(⌊u·n/H⌋, ⌊v·n/W⌋), n = max(H, W), as Occluded Frequency numbers them). The reference shares are those of x − x₀ (a perfect pixel-space match).';

export interface InversionSettings {
  steps: number;
  /** α₀: the first step's L2 length in [0,1] pixel units. */
  stepSize: number;
}

/** One step's representation loss and gradient for `count` rows. */
export type RepresentationStep = (pixels: Float32Array, count: number) => Promise<{ loss: Float32Array; grad: Float32Array }>;

export interface InversionResult {
  /** The best iterate per image (count × per). */
  pixels: Float32Array;
  /** ‖g(x_r) − g(x)‖² of the best iterate and of x₀, per image. */
  bestLoss: Float64Array;
  startLoss: Float64Array;
  /** Mean loss over images of each step's iterate (before the step), steps + 1 entries (the last: after the last step). */
  trace: number[];
  /** Steps run (fewer than asked when cancelled). */
  steps: number;
}

/** α_t for t = 0 … steps−1: cosine from α₀ to α₀/100. */
export function stepSchedule(t: number, settings: InversionSettings): number {
  const a0 = settings.stepSize;
  const aMin = a0 / 100;
  return aMin + ((a0 - aMin) * (1 + Math.cos((Math.PI * t) / Math.max(1, settings.steps)))) / 2;
}

/**
 * Projected normalised-gradient descent from `start` (count × per, in [0,1]); `step` evaluates the loss
 * ‖g(x) − target‖² and its gradient for the current rows (the caller binds the targets). A zero gradient
 * leaves that image where it is.
 */
export async function invertRepresentation(
  step: RepresentationStep,
  start: Float32Array,
  count: number,
  settings: InversionSettings,
  signal?: AbortSignal,
  onStep?: (done: number) => void,
): Promise<InversionResult> {
  const per = start.length / count;
  const x = start.slice();
  const best = start.slice();
  const bestLoss = new Float64Array(count).fill(Infinity);
  const startLoss = new Float64Array(count);
  const trace: number[] = [];
  let done = 0;
  for (let t = 0; t <= settings.steps; t++) {
    if (t > 0 && signal?.aborted) break;
    const { loss, grad } = await step(x, count);
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const l = loss[i];
      sum += l;
      if (t === 0) startLoss[i] = l;
      if (l < bestLoss[i]) {
        bestLoss[i] = l;
        best.set(x.subarray(i * per, (i + 1) * per), i * per);
      }
    }
    trace.push(sum / count);
    if (t === settings.steps) break;
    const alpha = stepSchedule(t, settings);
    for (let i = 0; i < count; i++) {
      const g = grad.subarray(i * per, (i + 1) * per);
      let n2 = 0;
      for (let j = 0; j < per; j++) n2 += g[j] * g[j];
      if (!(n2 > 0) || !Number.isFinite(n2)) continue;
      const s = alpha / Math.sqrt(n2);
      const xi = x.subarray(i * per, (i + 1) * per);
      for (let j = 0; j < per; j++) {
        const v = xi[j] - s * g[j];
        xi[j] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    done = t + 1;
    onStep?.(done);
  }
  return { pixels: best, bestLoss, startLoss, trace, steps: done };
}

/** For each image i, a different image j ≠ i drawn uniformly (the paper's "a different random image"). */
export function startIndices(count: number, rng: Rng): Int32Array {
  if (count < 2)
    throw new EngineError('USAGE', `inversion starts each image from a different one: it needs at least 2 images, got ${count}`);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = (i + 1 + Math.floor(rng.next() * (count - 1))) % count;
  return out;
}

export interface BandEdges {
  /** Bands [0, low) are low, [low, mid) mid, [mid, n) high. */
  low: number;
  mid: number;
  bands: number;
}

/** Thirds of the n = max(H, W) bands: low = round(n/3), mid = round(2n/3) (28×28: 0–8, 9–18, 19–27). */
export function bandEdges(h: number, w: number): BandEdges {
  const n = Math.max(h, w);
  return { low: Math.round(n / 3), mid: Math.round((2 * n) / 3), bands: n };
}

export interface Shares {
  low: number;
  mid: number;
  high: number;
}

/** Mean |DCT| of the differences a − b (count images of channels × h × w), over images and channels. */
export function meanAbsDct(a: Float32Array, b: Float32Array, count: number, channels: number, h: number, w: number): Float64Array {
  const plane = h * w;
  const diff = new Float64Array(plane);
  const coeffs = new Float64Array(plane);
  const sum = new Float64Array(plane);
  for (let i = 0; i < count * channels; i++) {
    for (let j = 0; j < plane; j++) diff[j] = a[i * plane + j] - b[i * plane + j];
    dct2(diff, h, w, coeffs);
    for (let j = 0; j < plane; j++) sum[j] += Math.abs(coeffs[j]);
  }
  const n = Math.max(1, count * channels);
  for (let j = 0; j < plane; j++) sum[j] /= n;
  return sum;
}

/** Fractions of the map's total in the low, mid and high bands (all 0 for an all-zero map). */
export function bandShares(map: ArrayLike<number>, h: number, w: number, edges: BandEdges = bandEdges(h, w)): Shares {
  const s = { low: 0, mid: 0, high: 0 };
  for (let u = 0; u < h; u++)
    for (let v = 0; v < w; v++) {
      const b = frequencyBand(u, v, h, w);
      const value = map[u * w + v];
      if (b < edges.low) s.low += value;
      else if (b < edges.mid) s.mid += value;
      else s.high += value;
    }
  const total = s.low + s.mid + s.high;
  return total > 0 ? { low: s.low / total, mid: s.mid / total, high: s.high / total } : s;
}

export function asMap(values: Float64Array, h: number, w: number): Map2D {
  return { height: h, width: w, values: Array.from(values) };
}

export interface InversionExample {
  /** The target image x and the start x₀ (paths relative to the dataset), and the PNGs under the run folder. */
  relPath: string;
  startRelPath: string;
  target: string;
  start: string;
  inverted: string;
  relativeError: number;
}

export interface InversionModelResult {
  model: string;
  /** The representation inverted: its tensor, where the name came from, and its size per image. */
  layer: string;
  layerSource: 'default' | 'user';
  representationSize: number;
  /** Top-1 accuracy of the model on the clean images (the sanity section checks the primary model's). */
  cleanAccuracy: number;
  /** ‖g(x_r) − g(x)‖ / ‖g(x)‖ over images: at x₀ (the start) and at the best iterate. */
  startRelativeError: number;
  relativeError: { mean: number; median: number; max: number };
  /** Mean ‖g(x_t) − g(x)‖² over images per iteration t = 0 … steps. */
  trace: number[];
  stepsRun: number;
  /** Mean ‖x_r − x₀‖₂ and ‖x − x₀‖₂, [0,1] pixel units. */
  meanChange: number;
  meanDistance: number;
  /** Mean |DCT(x_r − x₀)| (channel-averaged, DC at the top left), and its low/mid/high shares. */
  map: Map2D;
  shares: Shares;
  /** The same shares for x − x₀. */
  referenceShares: Shares;
  seconds: number;
  provider: string;
  examples: InversionExample[];
}

export interface InversionSection {
  kind: 'inversion';
  definition: string;
  params: {
    steps: number;
    stepSize: number;
    stepSizeSource: 'default' | 'user';
    schedule: string;
    images: number;
    channels: number;
    height: number;
    width: number;
    /** Band ranges, inclusive: [first, last]. */
    bands: { low: [number, number]; mid: [number, number]; high: [number, number] };
    seed: number;
  };
  models: InversionModelResult[];
}

/** The default α₀: 0.05 per pixel RMS, i.e. 0.05·√d in L2 (1.4 for 28×28 gray). */
export function defaultStepSize(pixelsPerImage: number): number {
  return 0.05 * Math.sqrt(pixelsPerImage);
}

export function bandRanges(edges: BandEdges): InversionSection['params']['bands'] {
  return { low: [0, edges.low - 1], mid: [edges.low, edges.mid - 1], high: [edges.mid, edges.bands - 1] };
}
