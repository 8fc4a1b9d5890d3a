/**
 * Trust check for a user's own model: the analytic input gradient (the gradient model) against finite
 * differences of the forward model along a few seeded random directions — one directional derivative per
 * direction instead of one per pixel, so a 224×224 model needs tens of forward passes, not thousands.
 *
 * Finite differences of a float32 forward pass are noisy: rounding noise in the loss divided by the step
 * can look like a wrong gradient (a small ViT reads cosine 0.93 per pixel while its gradient is right to
 * 2e-6). So every check measures its own noise floor, from the same forward passes: along each direction
 * the loss is evaluated at 0, ±t, ±2t; the fourth difference of those five values is pure noise (and
 * curvature/kinks) for small t, and sets the floor below which a difference means nothing. DISAGREE is
 * said only well above that floor; a check whose floor is too high says INCONCLUSIVE instead. Where a
 * float64 copy of the forward graph runs (float64Reference.ts) the finite differences are noise-free.
 */
import type { Classifier } from '../runtime/classifier';
import { Rng } from '../util/random';
import type { GradientSource } from './estimatedGradient';
import type { Float64Reference } from './float64Reference';
import { headLogits, headLoss } from './lossOnLogits';
import type { LossHead } from './lossHeads';

/** κ for the margin head in gradcheck: large, so the clamp never applies and the margin itself is checked. */
export const GRADCHECK_KAPPA = 1e9;

/** Relative error of the directional derivatives below which analytic and numeric gradients agree whatever the floor. */
export const AGREE_REL_ERROR = 1e-2;
/** A difference within this multiple of the noise floor is noise; beyond it (and AGREE_REL_ERROR) it is a disagreement. */
export const FLOOR_FACTOR = 3;
/** Above this relative noise floor a difference within the floor says nothing: INCONCLUSIVE, not AGREE. */
export const MAX_NOISE_FLOOR = 0.05;
/** Default first step (per-pixel RMS, pixel units) for float32 and for float64 finite differences: small, as kinks crossed (ReLU, max-pool) grow with the step. */
export const DEFAULT_STEP = { float32: 2e-4, float64: 1e-5 } as const;
/** Steps tried, as multiples of the first, until the result is decided: a smaller step crosses fewer kinks, a larger one lifts the signal above rounding noise. */
const STEP_LADDER = [1, 1 / 8, 8];

export type GradcheckVerdict = 'AGREE' | 'DISAGREE' | 'INCONCLUSIVE';
export type ReferencePrecision = 'float32' | 'float64';

export interface GradcheckOptions {
  /** First finite-difference step: RMS per-pixel size of the perturbation (pixel units, [0,1] scale); undefined = DEFAULT_STEP for the reference's precision. */
  step?: number;
  /** Random directions per image (one directional derivative each), besides the gradient's own direction. */
  directions: number;
  seed: number;
  /** Uniform noise amplitude added to the images before checking (pixel units); 0 = check at the images. */
  jitter: number;
}

export interface GradcheckImage {
  index: number;
  label: number;
  loss: number;
  directions: number;
  /** The step used (per-pixel RMS, pixel units): the first of the ladder that could tell, or the least noisy. */
  step: number;
  /** Cosine between the analytic and numeric directional derivatives across the random directions. */
  cosine: number;
  /** ‖numeric − analytic‖ / ‖analytic‖ over the random directions' derivatives. */
  relError: number;
  /** The relative error that finite-difference noise alone could produce (same units as relError). */
  noiseFloor: number;
  /** The same along the analytic gradient's own direction (null when the gradient is zero). */
  alongGradient: { relError: number; noiseFloor: number; verdict: GradcheckVerdict } | null;
  /** From both checks: see combined(). */
  verdict: GradcheckVerdict;
}

/** Where the finite differences' losses come from. */
export interface LossReference {
  precision: ReferencePrecision;
  /** `lossOf` each row's logits, for float64 pixel rows (rounded to float32 first by a float32 reference). */
  losses(pixels: Float64Array, count: number, lossOf: RowLoss): Promise<RowLosses>;
}

export interface RowLosses {
  loss: Float64Array;
  /** The smallest change of a loss the reference can show (its unit roundoff on the largest logit, twice: a margin is a difference of two logits). */
  resolution: number;
}

/** The loss of one row (the row index says which image it belongs to) from its logits. */
export type RowLoss = (logits: Float64Array, row: number) => number;

/** Loss per row from count × classes logits, and the resolution of those losses. */
function lossesFromLogits(
  z: Float32Array | Float64Array,
  count: number,
  lossOf: RowLoss,
  unitRoundoff: number,
  toLogits: (row: Float32Array | Float64Array) => Float64Array,
): RowLosses {
  const classes = z.length / count;
  let largest = 0;
  const loss = Float64Array.from({ length: count }, (_, r) => {
    const row = toLogits(z.subarray(r * classes, (r + 1) * classes));
    for (const v of row) largest = Math.max(largest, Math.abs(v));
    return lossOf(row, r);
  });
  return { loss, resolution: 2 * unitRoundoff * largest };
}

/** The classifier itself (float32): the preprocessing in JavaScript, the user's graph in onnxruntime. */
export function float32Reference(classifier: Classifier): LossReference {
  return {
    precision: 'float32',
    losses: async (pixels, count, lossOf) => {
      const scores = await classifier.scores(Float32Array.from(pixels), count);
      const kind = classifier.outputKind?.kind ?? 'logits';
      return lossesFromLogits(scores, count, lossOf, 2 ** -24, (row) => headLogits(row, kind));
    },
  };
}

/** The float64 copy of the gradient model's forward part (its logits already are log-probabilities where the model outputs probabilities). */
export function float64LossReference(reference: Float64Reference, maxBatch: number): LossReference {
  return {
    precision: 'float64',
    losses: async (pixels, count, lossOf) => {
      const per = pixels.length / count;
      const parts: Float64Array[] = [];
      for (let start = 0; start < count; start += maxBatch) {
        const n = Math.min(maxBatch, count - start);
        parts.push(await reference.logits(pixels.subarray(start * per, (start + n) * per), n));
      }
      const z = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
      parts.reduce((at, p) => {
        z.set(p, at);
        return at + p.length;
      }, 0);
      return lossesFromLogits(z, count, lossOf, 2 ** -53, (row) => Float64Array.from(row));
    },
  };
}

/** The decision at one step, from the relative error and the relative noise floor. */
export function verdictFor(relError: number, noiseFloor: number): GradcheckVerdict {
  if (relError <= AGREE_REL_ERROR) return 'AGREE';
  if (relError > FLOOR_FACTOR * noiseFloor) return 'DISAGREE';
  return noiseFloor <= MAX_NOISE_FLOOR ? 'AGREE' : 'INCONCLUSIVE';
}

// Offsets along each direction, in steps; the base point (0) is one extra row per image.
const OFFSETS = [1, -1, 2, -2];
/**
 * How far the Richardson estimate R = (4·D(t) − D(2t))/3 (D = central difference) may be off, from the same
 * five losses, as the largest of three terms:
 * - the fourth difference Δ4 = f(2t) − 4f(t) + 6f(0) − 4f(−t) + f(−2t), times 1/4: rounding noise of σ gives
 *   Δ4 ≈ √70·σ and an error of √130/12·σ ≈ Δ4/8.8; one ReLU/max-pool kink crossed near 0 with a slope change
 *   s gives Δ4 = −2st and an error of st/2 = Δ4/4; smooth curvature gives Δ4 ≈ t⁴f⁗, the order of R's error;
 * - the spread between the steps, (2/3)·|D(t) − D(2t)|: many kinks crossed on one side (along the gradient,
 *   in a ResNet) shift D(t) in proportion to t, which leaves R off by (2/3)·|D(t) − D(2t)| while their
 *   fourth differences cancel;
 * - the loss's resolution (a loss that barely moves).
 */
const ERROR_PER_FOURTH_DIFFERENCE = 1 / 4;
const ERROR_PER_STEP_SPREAD = 2 / 3;

export async function gradcheck(
  reference: LossReference,
  grads: GradientSource,
  original: Float32Array,
  labels: number[],
  opts: GradcheckOptions,
): Promise<GradcheckImage[]> {
  const count = labels.length;
  const per = original.length / count;
  const rng = new Rng(opts.seed);
  // Piecewise-linear models are not differentiable where pooling windows tie (flat image regions after a
  // ReLU): finite differences there average two one-sided slopes. A small seeded jitter moves the check
  // to a nearby point where both sides are defined.
  const pixels = opts.jitter > 0 ? Float32Array.from(original, (v) => v + opts.jitter * (2 * rng.next() - 1)) : original;
  const extra = grads.head.kind === 'cw-margin' ? { labels, kappa: GRADCHECK_KAPPA } : { labels };
  const analytic = await grads.compute(pixels, count, extra);
  const classes = analytic.logits.length / count;
  const heads = labels.map((label, i) => frozenHead(grads.head, analytic.logits.subarray(i * classes, (i + 1) * classes), label));
  // Per image: the analytic gradient's own direction (when it is not zero), then the random ones.
  const directions = Array.from({ length: count }, (_, i) => {
    const along = gradientDirection(analytic.grad.subarray(i * per, (i + 1) * per));
    return [...(along ? [along] : []), ...Array.from({ length: opts.directions }, () => randomDirection(rng, per))];
  });
  const first = opts.step ?? DEFAULT_STEP[reference.precision];
  const tries: GradcheckImage[][] = Array.from({ length: count }, () => []);
  let pending = Array.from({ length: count }, (_, i) => i);
  for (const factor of STEP_LADDER) {
    const step = first * factor;
    const derivatives = await directionalDerivatives(reference, analytic.grad, pixels, heads, directions, pending, step);
    pending.forEach((i, k) => {
      const d = derivatives[k];
      const alongGradient = directions[i].length > opts.directions ? agreement(d.slice(0, 1)) : null;
      const random = agreement(d.slice(directions[i].length - opts.directions));
      tries[i].push({
        index: i,
        label: labels[i],
        loss: analytic.loss[i],
        directions: opts.directions,
        step,
        ...random,
        alongGradient: alongGradient && {
          relError: alongGradient.relError,
          noiseFloor: alongGradient.noiseFloor,
          verdict: alongGradient.verdict,
        },
        verdict: combined(alongGradient?.verdict ?? null, random.verdict),
      });
    });
    pending = pending.filter((i) => settle(tries[i]) === undefined);
    if (pending.length === 0) break;
  }
  return tries.map(
    (t) => settle(t) ?? leastNoisy(t.map((r): GradcheckImage => (r.verdict === 'DISAGREE' ? { ...r, verdict: 'INCONCLUSIVE' } : r))),
  );
}

/**
 * One image's verdict from its two checks. Along the gradient the signal is largest (√pixels times a random
 * direction's), so that check is precise even where random directions drown in float32 noise; the random
 * directions catch errors orthogonal to the gradient, as far as their floor allows.
 */
export function combined(alongGradient: GradcheckVerdict | null, random: GradcheckVerdict): GradcheckVerdict {
  if (alongGradient === 'DISAGREE' || random === 'DISAGREE') return 'DISAGREE';
  return alongGradient === 'AGREE' || random === 'AGREE' ? 'AGREE' : 'INCONCLUSIVE';
}

/**
 * The result once the tries so far decide it: the first AGREE, or DISAGREE at two steps (a disagreement at
 * one step only may be an unlucky kink or rounding pattern, so it is confirmed at another before it is said).
 */
function settle(tries: GradcheckImage[]): GradcheckImage | undefined {
  const agree = tries.find((r) => r.verdict === 'AGREE');
  if (agree) return agree;
  const disagree = tries.filter((r) => r.verdict === 'DISAGREE');
  return disagree.length >= 2 ? leastNoisy(disagree) : undefined;
}

function leastNoisy(tries: GradcheckImage[]): GradcheckImage {
  const floor = (r: GradcheckImage) => Math.min(r.noiseFloor, r.alongGradient?.noiseFloor ?? Infinity);
  return tries.reduce((a, b) => (floor(b) < floor(a) ? b : a));
}

/**
 * The head with its choice frozen at the checked point: the margin's rival (the largest other logit there)
 * stays that class, so the finite differences see z_rival − z_label, smooth, instead of a max over classes
 * that switches between near-tied rivals (of 1000 classes) within the step. Its gradient at the point is
 * the same as the head's, which is what the gradient model computes.
 */
function frozenHead(head: LossHead, z0: Float32Array, label: number): (z: Float64Array) => number {
  if (head.kind !== 'cw-margin') return (z) => headLoss(head, z, { label, kappa: GRADCHECK_KAPPA });
  let rival = -1;
  z0.forEach((v, j) => {
    if (j !== label && (rival < 0 || v > z0[rival])) rival = j;
  });
  return head.targeted ? (z) => z[rival] - z[label] : (z) => z[label] - z[rival];
}

/** A Gaussian direction scaled to RMS 1 per pixel, so that the step is a per-pixel size whatever the image size. */
function randomDirection(rng: Rng, per: number): Float64Array {
  return rmsNormalized(Float64Array.from({ length: per }, () => rng.normal()));
}

/** The gradient's direction at RMS 1 per pixel; null for a zero gradient. */
function gradientDirection(g: Float32Array): Float64Array | null {
  return g.some((v) => v !== 0) ? rmsNormalized(Float64Array.from(g)) : null;
}

function rmsNormalized(v: Float64Array): Float64Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  const scale = Math.sqrt(v.length / norm);
  for (let j = 0; j < v.length; j++) v[j] *= scale;
  return v;
}

/** Along one direction: the numeric and analytic changes of the loss (Richardson-combined) and the error the numeric one may have. */
interface DirectionalDerivative {
  numeric: number;
  analytic: number;
  /** The numeric change's possible error: rounding, kinks and curvature (see ERROR_PER_FOURTH_DIFFERENCE). */
  error: number;
}

async function directionalDerivatives(
  reference: LossReference,
  grad: Float32Array,
  pixels: Float32Array,
  heads: ((z: Float64Array) => number)[],
  directions: Float64Array[][],
  images: number[],
  step: number,
): Promise<DirectionalDerivative[][]> {
  const per = pixels.length / heads.length;
  const firstRow: number[] = [];
  let total = 0;
  for (const i of images) {
    firstRow.push(total);
    total += 1 + directions[i].length * OFFSETS.length;
  }
  const rows = new Float64Array(total * per);
  const rowImage: number[] = [];
  // A float32 reference sees the points rounded to float32: the analytic side uses the same rounded points,
  // so the rounding of the perturbation is not mistaken for a gradient error.
  const round = reference.precision === 'float32' ? Math.fround : (x: number) => x;
  images.forEach((i, m) => {
    const x = pixels.subarray(i * per, (i + 1) * per);
    rows.set(x, firstRow[m] * per);
    rowImage.push(i);
    directions[i].forEach((v, d) =>
      OFFSETS.forEach((o, oi) => {
        const at = (firstRow[m] + 1 + d * OFFSETS.length + oi) * per;
        for (let j = 0; j < per; j++) rows[at + j] = round(x[j] + o * step * v[j]);
        rowImage.push(i);
      }),
    );
  });
  const { loss, resolution } = await reference.losses(rows, rowImage.length, (z, row) => heads[rowImage[row]](z));
  return images.map((i, m) => {
    const base = firstRow[m];
    const g = grad.subarray(i * per, (i + 1) * per);
    const along = (plus: number, minus: number) => {
      let s = 0;
      const a = plus * per,
        b = minus * per;
      for (let j = 0; j < per; j++) s += g[j] * (rows[a + j] - rows[b + j]);
      return s;
    };
    return directions[i].map((_, d) => {
      const r = base + 1 + d * OFFSETS.length; // rows r…r+3: +t, −t, +2t, −2t
      const fourth = loss[r + 2] - 4 * loss[r] + 6 * loss[base] - 4 * loss[r + 1] + loss[r + 3];
      // Changes over ±t and ±2t, halved and quartered: both estimate t·(directional derivative).
      const d1 = (loss[r] - loss[r + 1]) / 2,
        d2 = (loss[r + 2] - loss[r + 3]) / 4;
      return {
        // Richardson: the t² errors of the central differences at t and 2t cancel.
        numeric: (4 * d1 - d2) / 3,
        analytic: ((4 * along(r, r + 1)) / 2 - along(r + 2, r + 3) / 4) / 3,
        error: Math.max(ERROR_PER_FOURTH_DIFFERENCE * Math.abs(fourth), ERROR_PER_STEP_SPREAD * Math.abs(d1 - d2), resolution),
      };
    });
  });
}

type Agreement = Pick<GradcheckImage, 'cosine' | 'relError' | 'noiseFloor' | 'verdict'>;

/** Relative error, noise floor, cosine and verdict over a set of directions. */
function agreement(ds: DirectionalDerivative[]): Agreement {
  let dot = 0,
    nn = 0,
    na = 0,
    diff = 0,
    floor = 0;
  for (const d of ds) {
    dot += d.numeric * d.analytic;
    nn += d.numeric ** 2;
    na += d.analytic ** 2;
    diff += (d.numeric - d.analytic) ** 2;
    floor += d.error ** 2;
  }
  const scale = Math.sqrt(na);
  if (scale === 0) {
    // A gradient of exactly zero: agreement means the losses did not move beyond their noise either.
    const moved = Math.sqrt(nn) > FLOOR_FACTOR * Math.sqrt(floor);
    return { cosine: moved ? 0 : 1, relError: moved ? Infinity : 0, noiseFloor: 0, verdict: moved ? 'DISAGREE' : 'AGREE' };
  }
  const relError = Math.sqrt(diff) / scale;
  const noiseFloor = Math.sqrt(floor) / scale;
  return { cosine: nn === 0 ? 0 : dot / Math.sqrt(nn * na), relError, noiseFloor, verdict: verdictFor(relError, noiseFloor) };
}
