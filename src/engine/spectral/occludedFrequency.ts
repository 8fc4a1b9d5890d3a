/**
 * Occluded Frequency attribution: which DCT frequency bands a classifier's decision rests on.
 *
 * Per channel the image (planar [C,H,W], pixels in [0,1]) is transformed with the orthonormal 2-D DCT-II
 * (./dct). Band i holds the coefficients with frequencyBand(u,v,h,w) = i — for square planes max(u,v) = i,
 * L-shaped rings from the DC coefficient, low → high — for i = 0 … n−1, n = max(h, w). Each band in turn is
 * ablated in every channel (set to zero, or replaced by Gaussian noise of the same RMS), the image is
 * transformed back and the model scored on it; the band's score is how much the predicted class's logit
 * drops.
 *
 * The DCT is linear, so ablating band i to zero gives x − component_i, where component_i is the inverse DCT
 * of the band-i coefficients alone. As n = max(h, w) ≥ h, w, no two rows (or columns) share a band, so band
 * i is at most one row u (columns 0 … its last column) and one column v (the rows above u): with
 * x = M_hᵀ X M_w, component_i = outer(M_h[u,:], X[u, 0..] M_w) + outer(M_h[0..u−1,:]ᵀ X[0..u−1, v], M_w[v,:]),
 * a rank-2 update of O(h·w) per band — O(n³) for all bands of a square image instead of O(n⁴) for n masked
 * inverse transforms.
 */
import { EngineError } from '../errors';
import { topK } from '../eval/scores';
import type { Rng } from '../util/random';
import { dct2Planes, dctMatrix, frequencyBand } from './dct';

export type OccludedBaseline = 'zero' | 'noise';
/** 'logits' scores the raw output (logits, or log-probabilities when the model outputs those); 'log-probabilities' scores log(max(p, 1e-12)) of probability outputs. */
export type OccludedScoreOn = 'logits' | 'log-probabilities';

/** The report's definition of the method, word for word. */
export const OCCLUDED_FREQUENCY_DEFINITION =
  'Occluded Frequency: each channel of the image (planar, pixels in [0,1]) is transformed with the orthonormal 2-D DCT-II. ' +
  'Band i (i = 0 … n−1, n = max(H, W), low → high frequency) holds the coefficients (u, v) with max(⌊u·n/H⌋, ⌊v·n/W⌋) = i; ' +
  'for square images max(u, v) = i, an L-shaped ring around the DC coefficient. ' +
  'One band at a time is ablated in all channels to the baseline — zero: its coefficients are set to 0; ' +
  'noise: they are replaced by seeded Gaussian noise scaled to the RMS of the removed coefficients, per channel — ' +
  'and the image is transformed back without clipping to [0,1], because clipping would mix the other bands back in. ' +
  'The score of band i is s_c(x) − s_c(x with band i ablated), where c is the class predicted on the clean image and s_c its logit ' +
  '(log(max(p_c, 1e-12)) for models that output probabilities): positive when the band supports the prediction. ' +
  'A flip means the top-1 class on the ablated image differs from c.';

/**
 * Appended to the definition when adjacent bands are ablated together (band group size g > 1); with g = 1
 * the definition stays word for word as before.
 */
export function occludedFrequencyGroupNote(g: number): string {
  return (
    ` Bands are ablated in groups of ${g} adjacent bands: group k is bands g·k … g·k+g−1 (the last group may be shorter), ` +
    'ablated together (each band to its own baseline), and the score and flip are per group.'
  );
}

/**
 * Default band group size: one image's Occluded Frequency costs about OF_TARGET_GROUPS model passes. The rule:
 * g = ⌈bands / OF_TARGET_GROUPS⌉, so g = 1 for images up to 64×64 (at most 64 bands) and g = 4 for 224×224
 * (56 groups).
 */
export const OF_TARGET_GROUPS = 64;

export function defaultBandGroup(h: number, w: number): number {
  return Math.ceil(bandCount(h, w) / OF_TARGET_GROUPS);
}

/** Number of band groups (model passes per image besides the clean one) for `bands` bands in groups of `g`. */
export function groupCount(bands: number, g: number): number {
  checkPositiveInt('band count', bands);
  checkPositiveInt('band group size', g);
  return Math.ceil(bands / g);
}

/** Bands [first, last] (inclusive) of group k: [g·k, min(g·k + g, bands) − 1]. */
export function groupBands(k: number, g: number, bands: number): [number, number] {
  return [k * g, Math.min(k * g + g, bands) - 1];
}

const MIN_PROBABILITY = 1e-12;

function usage(message: string): EngineError {
  return new EngineError('USAGE', `occluded frequency: ${message}`);
}

function checkPositiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw usage(`${name} ${value}: expected a positive integer`);
}

/** Number of frequency bands of an h × w plane: max(h, w). */
export function bandCount(h: number, w: number): number {
  checkPositiveInt('height', h);
  checkPositiveInt('width', w);
  return Math.max(h, w);
}

/**
 * Where each band lies: band i = row rowStart[i] (if rowStart[i+1] > rowStart[i]) over columns
 * [0, colStart[i+1]), plus column colStart[i] (if colStart[i+1] > colStart[i]) over rows [0, rowStart[i]).
 * Read off frequencyBand, whose row and column parts rise by at least one per row and per column.
 */
interface BandLayout {
  h: number;
  w: number;
  bands: number;
  rowStart: Int32Array;
  colStart: Int32Array;
}

function bandLayout(h: number, w: number): BandLayout {
  const bands = bandCount(h, w);
  const starts = (size: number, bandOf: (k: number) => number): Int32Array => {
    const s = new Int32Array(bands + 1);
    let k = 0;
    for (let i = 0; i <= bands; i++) {
      while (k < size && bandOf(k) < i) k++;
      s[i] = k;
    }
    return s;
  };
  return {
    h,
    w,
    bands,
    rowStart: starts(h, (u) => frequencyBand(u, 0, h, w)),
    colStart: starts(w, (v) => frequencyBand(0, v, h, w)),
  };
}

/** Flat indices u·w + v of band `band`'s coefficients, its row first, then its column. */
function bandIndices(layout: BandLayout, band: number): Int32Array {
  const { w, rowStart, colStart } = layout;
  const u = rowStart[band],
    hasRow = rowStart[band + 1] > u,
    v = colStart[band],
    hasCol = colStart[band + 1] > v;
  const end = colStart[band + 1];
  const idx = new Int32Array((hasRow ? end : 0) + (hasCol ? u : 0));
  let k = 0;
  if (hasRow) for (let j = 0; j < end; j++) idx[k++] = u * w + j;
  if (hasCol) for (let i = 0; i < u; i++) idx[k++] = i * w + v;
  return idx;
}

/** A band's inverse DCT as component[p,q] = rowBasis[p]·rowPart[q] + colPart[p]·colBasis[q]. */
class BandFactors {
  readonly rowBasis: Float64Array;
  readonly rowPart: Float64Array;
  readonly colPart: Float64Array;
  readonly colBasis: Float64Array;

  constructor(readonly layout: BandLayout) {
    this.rowBasis = new Float64Array(layout.h);
    this.rowPart = new Float64Array(layout.w);
    this.colPart = new Float64Array(layout.h);
    this.colBasis = new Float64Array(layout.w);
  }

  /** Factors band `band` of the h × w coefficient plane at coeffs[offset …]; other coefficients are not read. */
  factor(coeffs: Float64Array, offset: number, band: number): this {
    const { h, w, rowStart, colStart } = this.layout;
    const mh = dctMatrix(h),
      mw = dctMatrix(w);
    const u = rowStart[band],
      v = colStart[band],
      end = colStart[band + 1];
    this.rowBasis.fill(0);
    this.rowPart.fill(0);
    this.colPart.fill(0);
    this.colBasis.fill(0);
    if (rowStart[band + 1] > u) {
      this.rowBasis.set(mh.subarray(u * h, (u + 1) * h));
      for (let j = 0; j < end; j++) {
        const x = coeffs[offset + u * w + j],
          m = j * w;
        for (let q = 0; q < w; q++) this.rowPart[q] += x * mw[m + q];
      }
    }
    if (end > v) {
      this.colBasis.set(mw.subarray(v * w, (v + 1) * w));
      for (let i = 0; i < u; i++) {
        const x = coeffs[offset + i * w + v],
          m = i * h;
        for (let p = 0; p < h; p++) this.colPart[p] += x * mh[m + p];
      }
    }
    return this;
  }

  /** out[o + p·w + q] = base[o + p·w + q] − component[p,q] (no base: + component). */
  write(out: Float32Array, o: number, base?: Float64Array): void {
    const { h, w } = this.layout;
    const rb = this.rowBasis,
      rp = this.rowPart,
      cp = this.colPart,
      cb = this.colBasis;
    for (let p = 0; p < h; p++) {
      const a = rb[p],
        b = cp[p],
        r = o + p * w;
      if (base) for (let q = 0; q < w; q++) out[r + q] = base[r + q] - (a * rp[q] + b * cb[q]);
      else for (let q = 0; q < w; q++) out[r + q] = a * rp[q] + b * cb[q];
    }
  }

  /** acc[o + p·w + q] −= component[p,q], in float64 (several bands of a group are removed before rounding). */
  subtractFrom(acc: Float64Array, o: number): void {
    const { h, w } = this.layout;
    for (let p = 0; p < h; p++) {
      const a = this.rowBasis[p],
        b = this.colPart[p],
        r = o + p * w;
      for (let q = 0; q < w; q++) acc[r + q] -= a * this.rowPart[q] + b * this.colBasis[q];
    }
  }
}

function checkImage(pixels: ArrayLike<number>, channels: number, h: number, w: number): void {
  checkPositiveInt('channels', channels);
  bandCount(h, w);
  const per = channels * h * w;
  if (pixels.length !== per) throw usage(`image has ${pixels.length} values: expected ${channels}×${h}×${w} = ${per}`);
}

/**
 * The component of each band: bands × C×H×W (band-major), the inverse DCT of that band's coefficients
 * alone. The components sum to the image.
 */
export function bandComponents(pixels: ArrayLike<number>, channels: number, h: number, w: number): Float32Array {
  checkImage(pixels, channels, h, w);
  const factors = new BandFactors(bandLayout(h, w));
  const hw = h * w,
    per = channels * hw;
  const coeffs = dct2Planes(pixels, channels, h, w);
  const out = new Float32Array(factors.layout.bands * per);
  for (let band = 0; band < factors.layout.bands; band++) {
    for (let c = 0; c < channels; c++) factors.factor(coeffs, c * hw, band).write(out, band * per + c * hw);
  }
  return out;
}

/**
 * One image prepared for ablation: its pixels and DCT coefficients, writing the image with one band
 * ablated at a time. Ablating to a baseline b replaces the band's coefficients X by b, so the image becomes
 * x − inverse(X − b on the band).
 */
class BandAblator {
  readonly layout: BandLayout;
  private readonly pixels: Float64Array;
  private readonly coeffs: Float64Array;
  private readonly delta: Float64Array;
  private readonly factors: BandFactors;

  constructor(
    pixels: ArrayLike<number>,
    readonly channels: number,
    h: number,
    w: number,
    private readonly baseline: OccludedBaseline,
    private readonly rng: Rng | undefined,
  ) {
    this.layout = bandLayout(h, w);
    this.pixels = Float64Array.from(pixels);
    this.coeffs = dct2Planes(pixels, channels, h, w);
    this.delta = new Float64Array(h * w);
    this.factors = new BandFactors(this.layout);
  }

  /**
   * Writes the image with band `band` ablated in every channel (C×H×W) to `out`. The noise baseline draws
   * |band| normals per channel from the rng, channel by channel, so call bands in a fixed order for
   * repeatable noise.
   */
  write(band: number, out: Float32Array): void {
    const hw = this.layout.h * this.layout.w;
    const idx = bandIndices(this.layout, band);
    for (let c = 0; c < this.channels; c++) {
      const off = c * hw;
      for (const k of idx) this.delta[k] = this.coeffs[off + k];
      if (this.baseline === 'noise') this.subtractNoise(idx, off);
      this.factors.factor(this.delta, 0, band).write(out.subarray(off, off + hw), 0, this.pixels.subarray(off, off + hw));
    }
  }

  /**
   * Writes the image with group k (bands g·k … g·k+g−1) ablated to `out`. g = 1 is write(k), bit for bit.
   * Larger groups remove each band's component in float64 and round once; noise is drawn band by band,
   * channel by channel, in the same order as g = 1 draws it for those bands.
   */
  writeGroup(k: number, g: number, out: Float32Array): void {
    if (g === 1) return this.write(k, out);
    const hw = this.layout.h * this.layout.w;
    const acc = this.acc ?? (this.acc = new Float64Array(this.pixels.length));
    acc.set(this.pixels);
    const [first, last] = groupBands(k, g, this.layout.bands);
    for (let band = first; band <= last; band++) {
      const idx = bandIndices(this.layout, band);
      for (let c = 0; c < this.channels; c++) {
        const off = c * hw;
        for (const i of idx) this.delta[i] = this.coeffs[off + i];
        if (this.baseline === 'noise') this.subtractNoise(idx, off);
        this.factors.factor(this.delta, 0, band).subtractFrom(acc, off);
      }
    }
    out.set(acc);
  }

  private acc: Float64Array | undefined;

  /**
   * delta −= Gaussian noise on the band, scaled so its RMS equals exactly that of the removed coefficients:
   * the band keeps its energy and loses its content. (A one-coefficient band, the DC of a square image,
   * thus gets ±its own value.)
   */
  private subtractNoise(idx: Int32Array, off: number): void {
    const noise = new Float64Array(idx.length);
    let removed = 0,
      drawn = 0;
    for (let j = 0; j < idx.length; j++) {
      const x = this.coeffs[off + idx[j]];
      removed += x * x;
      noise[j] = this.rng!.normal();
      drawn += noise[j] * noise[j];
    }
    const scale = drawn > 0 ? Math.sqrt(removed / drawn) : 0;
    for (let j = 0; j < idx.length; j++) this.delta[idx[j]] -= scale * noise[j];
  }
}

function checkBaseline(baseline: OccludedBaseline, rng: Rng | undefined): void {
  if (baseline !== 'zero' && baseline !== 'noise') throw usage(`baseline "${String(baseline)}": expected "zero" or "noise"`);
  if (baseline === 'noise' && !rng) throw usage('baseline "noise" needs a seeded rng: none was given');
}

/**
 * The image with each band (each group of `group` adjacent bands) ablated in turn: groups × C×H×W
 * (group-major), not clipped to [0,1] (clipping would mix the other bands back in). 'noise' draws from `rng`
 * band by band, channel by channel.
 */
export function ablatedImages(
  pixels: ArrayLike<number>,
  channels: number,
  h: number,
  w: number,
  baseline: OccludedBaseline = 'zero',
  rng?: Rng,
  group = 1,
): Float32Array {
  checkImage(pixels, channels, h, w);
  checkBaseline(baseline, rng);
  const ablator = new BandAblator(pixels, channels, h, w, baseline, rng);
  const groups = groupCount(ablator.layout.bands, group);
  const per = channels * h * w;
  const out = new Float32Array(groups * per);
  for (let k = 0; k < groups; k++) ablator.writeGroup(k, group, out.subarray(k * per, (k + 1) * per));
  return out;
}

/** Raw model outputs (count × classes, row-major) for `count` planar [0,1] images. */
export type ScoreRows = (pixels: Float32Array, count: number) => Promise<Float32Array>;

export interface OccludedFrequencyOptions {
  /** Default 'zero'. */
  baseline?: OccludedBaseline;
  scoreOn: OccludedScoreOn;
  /** Rows (clean images and ablated images together) per call of the score function. */
  maxBatch: number;
  /**
   * Noise for baseline 'noise'. Drawn image by image, band by band, whatever maxBatch is; pass the same Rng
   * to every call of one run so that no two images get the same noise.
   */
  rng?: Rng;
  /** Checked before each call of the score function; aborting rejects with EngineError('CANCELLED'). */
  signal?: AbortSignal;
  /** Adjacent bands ablated together (default 1: one band at a time); scores and flips are then per group. */
  bandGroup?: number;
}

export interface OccludedFrequencyResult {
  /** Class predicted on the clean image: the class whose score is followed. */
  predicted: number;
  /** s_c of the clean image (its logit, or log-probability by scoreOn). */
  cleanLogit: number;
  /** Per band (per band group), low → high: s_c(clean) − s_c(band ablated). */
  scores: number[];
  /** Per band (per band group): whether the top-1 class of the ablated image differs from `predicted`. */
  flips: boolean[];
}

/**
 * Occluded Frequency of `count` images (count × C×H×W planar pixels in [0,1]). Each image contributes one
 * clean row and one row per band, in that order; rows of consecutive images are packed into calls of at
 * most `maxBatch` rows, so a 28×28 image (28 bands + clean) takes one call when maxBatch ≥ 29.
 */
export async function occludedFrequency(
  images: Float32Array,
  count: number,
  shape: readonly [number, number, number],
  score: ScoreRows,
  opts: OccludedFrequencyOptions,
): Promise<OccludedFrequencyResult[]> {
  const [channels, h, w] = shape;
  checkPositiveInt('channels', channels);
  const group = opts.bandGroup ?? 1;
  const bands = groupCount(bandCount(h, w), group);
  if (!Number.isInteger(count) || count < 0) throw usage(`image count ${count}: expected a non-negative integer`);
  const per = channels * h * w;
  if (images.length !== count * per)
    throw usage(`${images.length} pixel values for ${count} images of ${channels}×${h}×${w}: expected ${count * per}`);
  checkPositiveInt('maxBatch', opts.maxBatch);
  if (opts.scoreOn !== 'logits' && opts.scoreOn !== 'log-probabilities')
    throw usage(`scoreOn "${String(opts.scoreOn)}": expected "logits" or "log-probabilities"`);
  const baseline = opts.baseline ?? 'zero';
  checkBaseline(baseline, opts.rng);
  const logOf = opts.scoreOn === 'log-probabilities';
  const s = (row: Float32Array, c: number): number => (logOf ? Math.log(Math.max(row[c], MIN_PROBABILITY)) : row[c]);

  const rowsPerImage = bands + 1;
  const totalRows = count * rowsPerImage;
  const chunk = new Float32Array(Math.min(opts.maxBatch, totalRows) * per);
  const results: OccludedFrequencyResult[] = [];
  let ablator: BandAblator | undefined;
  let classes = 0;
  for (let first = 0; first < totalRows; first += opts.maxBatch) {
    const rows = Math.min(opts.maxBatch, totalRows - first);
    for (let k = 0; k < rows; k++) {
      const image = Math.floor((first + k) / rowsPerImage),
        slot = (first + k) % rowsPerImage;
      const target = chunk.subarray(k * per, (k + 1) * per);
      if (slot === 0) {
        const pixels = images.subarray(image * per, (image + 1) * per);
        target.set(pixels);
        ablator = new BandAblator(pixels, channels, h, w, baseline, opts.rng);
      } else {
        ablator!.writeGroup(slot - 1, group, target);
      }
    }
    if (opts.signal?.aborted) throw new EngineError('CANCELLED', `occluded frequency: cancelled after ${first} of ${totalRows} model rows`);
    const out = await score(chunk.subarray(0, rows * per), rows);
    const got = out.length / rows;
    if (!Number.isInteger(got) || got < 1)
      throw new EngineError(
        'RUNTIME',
        `occluded frequency: the model returned ${out.length} values for ${rows} rows: expected a whole number of classes per row`,
      );
    if (classes !== 0 && got !== classes)
      throw new EngineError(
        'RUNTIME',
        `occluded frequency: the model returned ${got} values per row: expected ${classes}, as in its earlier outputs`,
      );
    classes = got;
    for (let k = 0; k < rows; k++) {
      const image = Math.floor((first + k) / rowsPerImage),
        slot = (first + k) % rowsPerImage;
      const row = out.subarray(k * classes, (k + 1) * classes);
      if (slot === 0) {
        const predicted = topK(row, 1)[0];
        results.push({ predicted, cleanLogit: s(row, predicted), scores: new Array<number>(bands), flips: new Array<boolean>(bands) });
      } else {
        const r = results[image];
        r.scores[slot - 1] = r.cleanLogit - s(row, r.predicted);
        r.flips[slot - 1] = topK(row, 1)[0] !== r.predicted;
      }
    }
  }
  return results;
}

/** Indices of the k highest band scores, highest first; ties go to the lower band. */
export function topBands(scores: ArrayLike<number>, k = 3): number[] {
  if (!Number.isInteger(k) || k < 0) throw usage(`top-band count ${k}: expected a non-negative integer`);
  return topK(scores, k);
}

/** Per-class and dataset means of the band scores and flip rates, image by image. */
export class OccludedFrequencyAggregator {
  private readonly sums: Float64Array[];
  private readonly flipCounts: Int32Array[];
  private readonly counts: Int32Array;
  private readonly total: Float64Array;
  private readonly totalFlips: Int32Array;
  private images = 0;

  constructor(
    readonly bands: number,
    readonly numClasses: number,
  ) {
    checkPositiveInt('band count', bands);
    checkPositiveInt('class count', numClasses);
    this.sums = Array.from({ length: numClasses }, () => new Float64Array(bands));
    this.flipCounts = Array.from({ length: numClasses }, () => new Int32Array(bands));
    this.counts = new Int32Array(numClasses);
    this.total = new Float64Array(bands);
    this.totalFlips = new Int32Array(bands);
  }

  /** Images added so far. */
  get count(): number {
    return this.images;
  }

  /** One image, under its class `label`. */
  add(label: number, scores: ArrayLike<number>, flips: ArrayLike<boolean>): void {
    if (!Number.isInteger(label) || label < 0 || label >= this.numClasses)
      throw usage(`label ${label}: expected an integer in [0, ${this.numClasses})`);
    if (scores.length !== this.bands || flips.length !== this.bands)
      throw usage(`${scores.length} scores and ${flips.length} flips: expected ${this.bands} of each`);
    for (let b = 0; b < this.bands; b++) {
      this.sums[label][b] += scores[b];
      this.total[b] += scores[b];
      if (flips[b]) {
        this.flipCounts[label][b]++;
        this.totalFlips[b]++;
      }
    }
    this.counts[label]++;
    this.images++;
  }

  /** Per class (index = class): image count, mean score and flip rate per band; null for classes without images. */
  perClass(): ({ count: number; scores: number[]; flipRate: number[] } | null)[] {
    return Array.from({ length: this.numClasses }, (_, c) => {
      const n = this.counts[c];
      if (n === 0) return null;
      return { count: n, scores: Array.from(this.sums[c], (v) => v / n), flipRate: Array.from(this.flipCounts[c], (v) => v / n) };
    });
  }

  /** Mean score per band over every image added. */
  mean(): number[] {
    return Array.from(this.total, (v) => v / this.nonEmpty());
  }

  /** Fraction of all images whose prediction flipped, per band. */
  flipRate(): number[] {
    return Array.from(this.totalFlips, (v) => v / this.nonEmpty());
  }

  private nonEmpty(): number {
    if (this.images === 0) throw usage('no images were added: a mean over no images is undefined');
    return this.images;
  }
}
