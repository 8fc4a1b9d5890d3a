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
  sample(pixels: Float32Array, count: number, K: number, rng: Rng): Promise<Float32Array>;
}

/** Standard normal directions, normalised to unit length in model-input space. */
export function randomDirections(p: Preprocessing): DirectionSampler {
  const scale = pixelsPerModelUnit(p);
  const plane = p.height * p.width;
  return {
    kind: 'random',
    sample(_pixels, count, K, rng) {
      const per = scale.length * plane;
      const out = new Float32Array(count * K * per);
      for (let d = 0; d < count * K; d++) fillUnitDirection(out.subarray(d * per, (d + 1) * per), rng, scale, plane);
      return Promise.resolve(out);
    },
  };
}

/** A standard normal vector normalised to unit length in model-input space, written as a pixel displacement. */
export function fillUnitDirection(v: Float32Array, rng: Rng, scale: Float64Array, plane: number): void {
  let s = 0;
  for (let j = 0; j < v.length; j++) {
    const g = rng.normal();
    v[j] = g;
    s += g * g;
  }
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
  const P = pointsPerImage(K);
  const Q = RADIUS_FRACTIONS.length;
  const lambdas = RADIUS_FRACTIONS.map((f) => f * radius);
  const out = new Float32Array(count * P * per);
  for (let i = 0; i < count; i++) {
    const xo = i * per;
    const base = i * P * per;
    out.set(pixels.subarray(xo, xo + per), base);
    for (let k = 0; k < K; k++) {
      const vo = (i * K + k) * per;
      for (let q = 0; q < Q; q++) {
        const lambda = lambdas[q];
        const ro = base + (1 + k * Q + q) * per;
        for (let j = 0; j < per; j++) out[ro + j] = pixels[xo + j] + lambda * directions[vo + j];
      }
    }
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
    let classes = this.base.numClasses ?? 0;
    const outs: Float32Array[] = [];
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const x = pixels.subarray(start * per, (start + n) * per);
      const dirs = await this.config.sampler.sample(x, n, Kmax, this.config.rng);
      const pts = averagingPoints(x, n, per, dirs, Kmax, this.config.radius);
      const raw = await this.base.scores(pts, n * P);
      classes = raw.length / (n * P);
      if (outs.length === 0) Ks.forEach(() => outs.push(new Float32Array(count * classes)));
      const kind = this.base.outputKind?.kind ?? 'logits';
      const prob = new Float64Array(classes);
      for (let i = 0; i < n; i++) {
        // Running sum over points in layout order; K's set = x + the first 6K direction points.
        const acc = new Float64Array(classes);
        const done = new Set<number>();
        for (let q = 0; q < P; q++) {
          rowProbabilities(raw.subarray((i * P + q) * classes, (i * P + q + 1) * classes), kind, prob);
          for (let c = 0; c < classes; c++) acc[c] += prob[c];
          Ks.forEach((K, s) => {
            if (q + 1 === pointsPerImage(K) && !done.has(s)) {
              done.add(s);
              for (let c = 0; c < classes; c++) outs[s][(start + i) * classes + c] = acc[c] / (q + 1);
            }
          });
        }
      }
    }
    if (outs.length === 0) Ks.forEach(() => outs.push(new Float32Array(0)));
    return outs;
  }
}
