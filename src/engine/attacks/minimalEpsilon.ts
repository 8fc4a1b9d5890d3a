/**
 * Minimal-ε mode (Foolbox 2's behaviour, used by the post-averaging paper): per image, the smallest ε up
 * to the budget at which the attack succeeds, found by bisection. Examples found this way sit near the
 * decision boundary; fixed-ε ones can sit deep beyond it — reports always say which mode ran.
 */
import type { AttackBatch, AttackContext, AttackOutcome } from './types';

export interface MinimalEpsilonRun {
  /** Runs the attack at per-image ε on a subset of the batch (indices into the batch). */
  (eps: Float64Array, subset: number[]): Promise<{ adversarial: Float32Array; success: boolean[]; queries: Float64Array }>;
}

export async function minimalEpsilon(
  batch: AttackBatch,
  ctx: AttackContext,
  budget: number,
  searchSteps: number,
  run: MinimalEpsilonRun,
): Promise<AttackOutcome> {
  const per = ctx.pixelsPerImage;
  const count = batch.count;
  const adversarial = Float32Array.from(batch.pixels);
  const queries = new Float64Array(count);
  const epsilon = new Float64Array(count).fill(NaN);
  const loB = new Float64Array(count);
  const hiB = new Float64Array(count).fill(budget);
  // First the full budget: images that do not break there have no ε ≤ budget.
  let active = Array.from({ length: count }, (_, i) => i);
  const full = await run(hiB, active);
  active = active.filter((i, k) => {
    queries[i] += full.queries[k];
    if (!full.success[k]) {
      adversarial.set(full.adversarial.subarray(k * per, (k + 1) * per), i * per);
      return false;
    }
    epsilon[i] = budget;
    adversarial.set(full.adversarial.subarray(k * per, (k + 1) * per), i * per);
    return true;
  });
  for (let s = 0; s < searchSteps && active.length > 0; s++) {
    if (ctx.signal?.aborted) break;
    const mid = Float64Array.from(active, (i) => (loB[i] + hiB[i]) / 2);
    const r = await run(mid, active);
    active.forEach((i, k) => {
      queries[i] += r.queries[k];
      if (r.success[k]) {
        hiB[i] = mid[k];
        epsilon[i] = mid[k];
        adversarial.set(r.adversarial.subarray(k * per, (k + 1) * per), i * per);
      } else loB[i] = mid[k];
    });
  }
  return { adversarial, queries, epsilon };
}

/** Copies the images at `subset` out of a batch. */
export function subBatch(batch: AttackBatch, subset: number[], per: number): AttackBatch {
  const pixels = new Float32Array(subset.length * per);
  subset.forEach((i, k) => pixels.set(batch.pixels.subarray(i * per, (i + 1) * per), k * per));
  return {
    pixels,
    count: subset.length,
    labels: subset.map((i) => batch.labels[i]),
    targets: batch.targets ? subset.map((i) => batch.targets![i]) : null,
  };
}
