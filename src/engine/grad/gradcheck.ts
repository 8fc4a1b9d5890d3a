/**
 * Trust check for a user's own model: analytic input gradients (the gradient model) against central
 * finite differences of the plain forward model (run through onnxruntime with the preprocessing applied
 * in JavaScript, so the two paths share nothing but the weights). All pixels are checked on small inputs;
 * on large ones a seeded random subset of pixel coordinates.
 */
import type { Classifier } from '../runtime/classifier';
import { Rng } from '../util/random';
import type { GradientSource } from './estimatedGradient';
import { headLogits, headLoss } from './lossOnLogits';

/** κ for the margin head in gradcheck: large, so the clamp never applies and the margin itself is checked. */
export const GRADCHECK_KAPPA = 1e9;

export interface GradcheckOptions {
  /** Finite-difference step in pixel units ([0,1] scale). */
  step: number;
  /** Check at most this many pixel coordinates per image. */
  maxCoordinates: number;
  seed: number;
  /** Uniform noise amplitude added to the images before checking (pixel units); 0 = check at the images. */
  jitter: number;
}

export interface GradcheckImage {
  index: number;
  label: number;
  loss: number;
  coordinates: number;
  cosine: number;
  /** max |analytic − numeric| / max |numeric| over the checked coordinates. */
  relError: number;
}

export async function gradcheck(classifier: Classifier, grads: GradientSource, original: Float32Array, labels: number[], opts: GradcheckOptions): Promise<GradcheckImage[]> {
  const per = classifier.pixelsPerSample;
  const count = labels.length;
  const rng = new Rng(opts.seed);
  // Piecewise-linear models are not differentiable where pooling windows tie (flat image regions after a
  // ReLU): finite differences there average two one-sided slopes. A small seeded jitter moves the check
  // to a nearby point where both sides are defined.
  const pixels = opts.jitter > 0 ? Float32Array.from(original, (v) => v + opts.jitter * (2 * rng.next() - 1)) : original;
  const extra = grads.head.kind === 'cw-margin' ? { labels, kappa: GRADCHECK_KAPPA } : { labels };
  const analytic = await grads.compute(pixels, count, extra);
  const kind = classifier.outputKind?.kind ?? 'logits';
  const results: GradcheckImage[] = [];
  for (let i = 0; i < count; i++) {
    const image = pixels.subarray(i * per, (i + 1) * per);
    const coords = per <= opts.maxCoordinates ? Array.from({ length: per }, (_, j) => j) : rng.shuffle(Array.from({ length: per }, (_, j) => j)).slice(0, opts.maxCoordinates).sort((a, b) => a - b);
    // Four evaluations per coordinate (±h, ±h/2) for a Richardson-extrapolated central difference.
    const offsets = [opts.step, -opts.step, opts.step / 2, -opts.step / 2];
    const batch = new Float32Array(coords.length * offsets.length * per);
    coords.forEach((c, k) => offsets.forEach((d, o) => {
      const at = (k * offsets.length + o) * per;
      batch.set(image, at);
      batch[at + c] += d;
    }));
    const scores = await classifier.scores(batch, coords.length * offsets.length);
    const classes = scores.length / (coords.length * offsets.length);
    const loss = (row: number) => headLoss(grads.head, headLogits(scores.subarray(row * classes, (row + 1) * classes), kind), { label: labels[i], kappa: GRADCHECK_KAPPA });
    const numeric = coords.map((_, k) => {
      const base = k * offsets.length;
      const d1 = (loss(base) - loss(base + 1)) / (2 * opts.step);
      const d2 = (loss(base + 2) - loss(base + 3)) / opts.step;
      return (4 * d2 - d1) / 3;
    });
    const a = coords.map((c) => analytic.grad[i * per + c]);
    let dot = 0, na = 0, nb = 0, maxErr = 0, maxNum = 0;
    a.forEach((v, k) => {
      dot += v * numeric[k]; na += v * v; nb += numeric[k] * numeric[k];
      maxErr = Math.max(maxErr, Math.abs(v - numeric[k]));
      maxNum = Math.max(maxNum, Math.abs(numeric[k]));
    });
    results.push({
      index: i, label: labels[i], loss: analytic.loss[i], coordinates: coords.length,
      cosine: na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb),
      relError: maxNum === 0 ? maxErr : maxErr / maxNum,
    });
  }
  return results;
}
