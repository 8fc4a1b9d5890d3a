/**
 * One-step attacks: x' = clip(x + ε·d) with d = sign(∇) (L∞) or ∇/‖∇‖₂ (L2) of the cross-entropy (negated
 * for targeted attacks). In minimal-ε mode the direction is computed once and ε walks a grid of
 * `gridSize` values up to the budget, keeping per image the first that succeeds (forward passes only).
 */
import type { LossHead } from '../grad/lossHeads';
import type { AttackBatch, AttackContext, AttackOutcome, Norm } from './types';

const CROSS_ENTROPY: LossHead = { kind: 'cross-entropy' };

export async function fastGradient(
  batch: AttackBatch,
  ctx: AttackContext,
  norm: Norm,
  budget: number,
  mode: 'fixed-eps' | 'minimal-eps',
  gridSize: number,
): Promise<AttackOutcome> {
  const per = ctx.pixelsPerImage;
  const { count } = batch;
  const [lo, hi] = ctx.range;
  const grads = await ctx.gradient(CROSS_ENTROPY);
  const { grad } = await grads.compute(batch.pixels, count, { labels: batch.targets ?? batch.labels });
  const direction = new Float32Array(grad.length);
  const sign = batch.targets ? -1 : 1;
  for (let i = 0; i < count; i++) {
    const start = i * per,
      end = start + per;
    if (norm === 'linf') for (let j = start; j < end; j++) direction[j] = sign * Math.sign(grad[j]);
    else {
      let s = 0;
      for (let j = start; j < end; j++) s += grad[j] * grad[j];
      const f = sign / (Math.sqrt(s) + 1e-12);
      for (let j = start; j < end; j++) direction[j] = f * grad[j];
    }
  }
  const step = (eps: number, images: number[]): Float32Array => {
    const out = new Float32Array(images.length * per);
    images.forEach((i, k) => {
      for (let j = 0; j < per; j++) {
        const v = batch.pixels[i * per + j] + eps * direction[i * per + j];
        out[k * per + j] = v < lo ? lo : v > hi ? hi : v;
      }
    });
    return out;
  };
  const all = Array.from({ length: count }, (_, i) => i);
  const queries = new Float64Array(count).fill(1);
  if (mode === 'fixed-eps') return { adversarial: step(budget, all), queries };

  const adversarial = step(budget, all);
  const epsilon = new Float64Array(count).fill(NaN);
  let remaining = all;
  for (let g = 1; g <= gridSize && remaining.length > 0; g++) {
    if (ctx.signal?.aborted) break;
    const eps = (budget * g) / gridSize;
    const candidate = step(eps, remaining);
    const scores = await ctx.classifier.scores(candidate, remaining.length);
    const hit = ctx.isAdversarial(
      scores,
      remaining.map((i) => batch.labels[i]),
      batch.targets ? remaining.map((i) => batch.targets![i]) : null,
    );
    remaining = remaining.filter((i, k) => {
      queries[i]++;
      if (!hit[k]) return true;
      epsilon[i] = eps;
      adversarial.set(candidate.subarray(k * per, (k + 1) * per), i * per);
      return false;
    });
  }
  return { adversarial, queries, epsilon };
}
