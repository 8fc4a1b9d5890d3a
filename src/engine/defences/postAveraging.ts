/**
 * Post-averaging ("Bandlimiting neural networks against adversarial attacks"): the defended output is the
 * mean of softmax(f(x_k)) over x itself and x + λ·v̂ for K unit directions v̂ and λ ∈ {±r/3, ±2r/3, ±r}
 * (6K + 1 points). As in the authors' code, v̂ is a unit L2 vector and r a length in the space the model
 * receives (after scale and mean/std); the points are not clipped to the pixel range. In the engine's pixel
 * space a model-space displacement d is the pixel displacement d·std_c/scale per channel.
 */
import { EngineError } from '../errors';
import type { Preprocessing } from '../config/runConfig';
import { channelCount } from '../data/pixels';
import { rowProbabilities } from '../eval/scores';
import type { OutputKindDecision } from '../runtime/classifier';
import type { ScoreModel } from '../runtime/scoreModel';
import type { Rng } from '../util/random';

/** λ/r for each direction, in the order the points are laid out after x itself. */
export const RADIUS_FRACTIONS = [1 / 3, -1 / 3, 2 / 3, -2 / 3, 1, -1] as const;
export const DEFAULT_K = 15;

export function pointsPerImage(K: number): number {
  return RADIUS_FRACTIONS.length * K + 1;
}

/** Pixel units per model-input unit, per channel: std_c / pixelScale. */
export function pixelsPerModelUnit(p: Preprocessing): Float64Array {
  const c = channelCount(p);
  return Float64Array.from({ length: c }, (_, ch) => (p.std ? p.std[ch] : 1) / p.pixelScale);
}

/** A radius in model-input units expressed in pixel units (the RMS over channels when std differs per channel). */
export function radiusInPixels(radius: number, p: Preprocessing): number {
  const s = pixelsPerModelUnit(p);
  return radius * Math.sqrt(s.reduce((a, v) => a + v * v, 0) / s.length);
}

/**
 * Paper hint for r: 30 for 224×224×3 ImageNet inputs, 6 for 32×32×3 CIFAR-10, i.e. about 0.077·√d and
 * 0.108·√d; we take their geometric mean, ≈ 0.0915·√d, for a d-dimensional model input.
 */
export function radiusHint(dimension: number): number {
  const a = 30 / Math.sqrt(224 * 224 * 3),
    b = 6 / Math.sqrt(32 * 32 * 3);
  return Math.sqrt(a * b) * Math.sqrt(dimension);
}

/** Where the K directions of each image come from. */
export interface DirectionSampler {
  readonly kind: 'random' | 'approx';
  /**
   * count × K directions, each of unit L2 norm in model-input space, returned as pixel displacements
   * (already multiplied by std_c/scale), laid out image-major.
   */
  sample(pixels: Float32Array, count: number, K: number, rng: Rng, out?: Float32Array): Promise<Float32Array>;
}

/** `out`'s first `length` values when it is long enough (a caller's reusable buffer), else a new array. */
function reuse(out: Float32Array | undefined, length: number): Float32Array {
  return out && out.length >= length ? out.subarray(0, length) : new Float32Array(length);
}

/** Standard normal directions, normalised to unit length in model-input space. */
export function randomDirections(p: Preprocessing): DirectionSampler {
  const scale = pixelsPerModelUnit(p);
  const plane = p.height * p.width;
  return {
    kind: 'random',
    sample(_pixels, count, K, rng, buffer) {
      const per = scale.length * plane;
      const out = reuse(buffer, count * K * per);
      for (let d = 0; d < count * K; d++) fillUnitDirection(out.subarray(d * per, (d + 1) * per), rng, scale, plane);
      return Promise.resolve(out);
    },
  };
}

/** A standard normal vector normalised to unit length in model-input space, written as a pixel displacement. */
export function fillUnitDirection(v: Float32Array, rng: Rng, scale: Float64Array, plane: number): void {
  const s = rng.fillNormal(v);
  const inv = 1 / Math.sqrt(s);
  for (let c = 0; c < scale.length; c++) {
    const f = inv * scale[c];
    for (let j = c * plane, end = (c + 1) * plane; j < end; j++) v[j] *= f;
  }
}

/**
 * The 6K+1 points of each image: x, then per direction x + λ·v̂ for λ/r in RADIUS_FRACTIONS. Rows are
 * image-major: image i's points are rows i·P … i·P + P − 1.
 */
export function averagingPoints(
  pixels: Float32Array,
  count: number,
  per: number,
  directions: Float32Array,
  K: number,
  radius: number,
): Float32Array {
  const rows = count * pointsPerImage(K);
  return writeAveragingRows(pixels, per, directions, K, radius, 0, rows, new Float32Array(rows * per));
}

/**
 * Rows [first, first + rows) of averagingPoints' layout, written into `out` (rows × per values). Lets the
 * defence stream its points through one reusable batch-sized buffer: a 224×224×3 image's 91 points are 55 MB,
 * and fresh buffers that size cost more in page faults than building the points.
 */
export function writeAveragingRows(
  pixels: Float32Array,
  per: number,
  directions: Float32Array,
  K: number,
  radius: number,
  first: number,
  rows: number,
  out: Float32Array,
): Float32Array {
  const P = pointsPerImage(K);
  const Q = RADIUS_FRACTIONS.length;
  for (let r = 0; r < rows; r++) {
    const i = Math.floor((first + r) / P);
    const q = (first + r) % P;
    const xo = i * per;
    const ro = r * per;
    if (q === 0) {
      out.set(pixels.subarray(xo, xo + per), ro);
      continue;
    }
    const lambda = RADIUS_FRACTIONS[(q - 1) % Q] * radius;
    const vo = (i * K + Math.floor((q - 1) / Q)) * per;
    for (let j = 0; j < per; j++) out[ro + j] = pixels[xo + j] + lambda * directions[vo + j];
  }
  return out;
}

export interface PostAveragingConfig {
  K: number;
  /** In model-input units. */
  radius: number;
  sampler: DirectionSampler;
  rng: Rng;
}

export function checkPostAveraging(K: number, radius: number): void {
  if (!Number.isInteger(K) || K < 1 || K > 1000)
    throw new EngineError(
      'USAGE',
      `post-averaging: K = ${K}: expected a whole number of directions from 1 to 1000 (the paper uses ${DEFAULT_K})`,
    );
  if (!(radius > 0) || !Number.isFinite(radius))
    throw new EngineError(
      'USAGE',
      `post-averaging: radius r = ${radius}: expected a positive length in model-input units (the paper: 30 for ImageNet 224×224, 6 for CIFAR-10)`,
    );
}

/** Byte budget for one call's points: keeps a 224×224×3 model's 91 points per image at a few images per call. */
const POINT_BYTES = 256 * 1024 * 1024;

/** Images whose P points each are evaluated in one call (at least one). */
export function imagesPerCall(pixelsPerImage: number, P: number): number {
  return Math.max(1, Math.floor(Math.max(P, Math.floor(POINT_BYTES / (pixelsPerImage * 4))) / P));
}

/**
 * The post-averaged classifier. Outputs mean probabilities (outputKind 'probabilities'); each call draws
 * fresh directions from the seeded RNG, so a run is reproducible from its seed.
 */
export class PostAveragedModel implements ScoreModel {
  readonly outputKind: OutputKindDecision = {
    kind: 'probabilities',
    reason: 'post-averaging outputs the mean softmax over its sample points',
    decidedBy: 'graph',
  };

  /** Reused across calls: directions of one chunk of images, and two batches of points (see probabilitySums). */
  private directionBuffer = new Float32Array(0);
  private pointBuffers = [new Float32Array(0), new Float32Array(0)];

  constructor(
    readonly base: ScoreModel,
    readonly config: PostAveragingConfig,
  ) {
    checkPostAveraging(config.K, config.radius);
  }

  get pixelsPerSample(): number {
    return this.base.pixelsPerSample;
  }
  get numClasses(): number | null {
    return this.base.numClasses;
  }
  get preprocessing(): Preprocessing {
    return this.base.preprocessing;
  }
  get batchSize(): number {
    return this.base.batchSize;
  }
  get points(): number {
    return pointsPerImage(this.config.K);
  }

  async scores(pixels: Float32Array, count: number): Promise<Float32Array> {
    const sums = await this.probabilitySums(pixels, count, [this.config.K]);
    return sums[0];
  }

  /**
   * Mean probabilities for several K at once from one draw of max(Ks) directions: the first K directions of
   * the draw define the K-point defence, so a K sweep costs one evaluation at the largest K.
   */
  async probabilitySums(pixels: Float32Array, count: number, Ks: number[]): Promise<Float32Array[]> {
    const per = this.pixelsPerSample;
    const Kmax = Math.max(...Ks);
    const P = pointsPerImage(Kmax);
    const chunk = imagesPerCall(per, P);
    // Points go to the model a batch at a time, built into one reusable buffer (see writeAveragingRows).
    const rowsPerCall = Math.max(1, this.base.batchSize);
    const kind = this.base.outputKind?.kind ?? 'logits';
    const ends = Ks.map(pointsPerImage);
    let classes = 0;
    let outs: Float32Array[] = [];
    let prob = new Float64Array(0);
    let acc = new Float64Array(0);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const x = pixels.subarray(start * per, (start + n) * per);
      if (this.directionBuffer.length < n * Kmax * per) this.directionBuffer = new Float32Array(n * Kmax * per);
      const dirs = await this.config.sampler.sample(x, n, Kmax, this.config.rng, this.directionBuffer);
      // The next batch's points are built while the model evaluates this one (two buffers, alternating); the
      // model's input copy is made when its call starts, so a buffer is free again once its call is awaited.
      const build = (first: number, slot: number): Float32Array => {
        const rows = Math.min(rowsPerCall, n * P - first);
        if (this.pointBuffers[slot].length < rows * per) this.pointBuffers[slot] = new Float32Array(rowsPerCall * per);
        return writeAveragingRows(x, per, dirs, Kmax, this.config.radius, first, rows, this.pointBuffers[slot].subarray(0, rows * per));
      };
      let pts = build(0, 0);
      for (let first = 0, slot = 0; first < n * P; first += rowsPerCall, slot ^= 1) {
        const rows = Math.min(rowsPerCall, n * P - first);
        const call = this.base.scores(pts, rows);
        // Awaited below, after the next batch is built: marked handled now, or a call that fails (a cancel, the
        // budget's stop) while the build yields would be an unhandled rejection and end the process.
        call.catch(() => undefined);
        if (first + rowsPerCall < n * P) {
          await new Promise<void>((resolve) => setImmediate(resolve)); // let the call reach the runtime first
          pts = build(first + rowsPerCall, slot ^ 1);
        }
        const raw = await call;
        if (classes === 0) {
          classes = raw.length / rows;
          outs = Ks.map(() => new Float32Array(count * classes));
          prob = new Float64Array(classes);
          acc = new Float64Array(classes);
        }
        for (let r = 0; r < rows; r++) {
          // Running sum over an image's points in layout order; K's set = x + the first 6K direction points.
          const q = (first + r) % P;
          const image = start + Math.floor((first + r) / P);
          if (q === 0) acc.fill(0);
          rowProbabilities(raw.subarray(r * classes, (r + 1) * classes), kind, prob);
          for (let c = 0; c < classes; c++) acc[c] += prob[c];
          ends.forEach((end, s) => {
            if (q + 1 === end) for (let c = 0; c < classes; c++) outs[s][image * classes + c] = acc[c] / end;
          });
        }
      }
    }
    return outs.length ? outs : Ks.map(() => new Float32Array(0));
  }
}
