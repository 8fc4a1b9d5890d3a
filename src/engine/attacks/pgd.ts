/**
 * Projected gradient descent (Madry et al., 2018), L∞ and L2: random start in the ε-ball, `steps` steps of
 * size α, restarts keeping the worst case per image (a success, else the highest loss), optional per-image
 * early stop. Defaults as Madry / torchattacks: L∞ ε = 8/255, α = 2/255, 10 steps; L2 ε = 1.0, α = 0.2.
 * Fixed-ε or minimal-ε mode.
 */
import { EngineError } from '../errors';
import { attackDefaults, validateAttackParams } from './catalog';
import { checkEpsilon, checkSteps, projectedGradientSteps } from './gradientSteps';
import { minimalEpsilon, subBatch } from './minimalEpsilon';
import type { Attack, AttackBatch, AttackContext, AttackOutcome, Norm } from './types';
import { formatEpsilon } from './format';

export interface PgdParams {
  norm: Norm;
  eps: number;
  alpha: number;
  steps: number;
  randomStart: boolean;
  restarts: number;
  earlyStop: boolean;
  mode: 'fixed-eps' | 'minimal-eps';
  /** Bisection steps of the minimal-ε search. */
  searchSteps: number;
}

/** From the catalog: L∞ ε 8/255, α 2/255; L2 ε 1.0, α 0.2; 10 steps, random start, one restart. */
export const PGD_DEFAULTS: Record<Norm, PgdParams> = {
  linf: attackDefaults('pgd', 'linf') as unknown as PgdParams,
  l2: attackDefaults('pgd', 'l2') as unknown as PgdParams,
};

export function createPgd(params: Partial<PgdParams> = {}): Attack {
  // The norm is checked against the record first: an unknown one would index PGD_DEFAULTS to undefined.
  validateAttackParams('pgd', { norm: params.norm });
  const norm = params.norm ?? 'linf';
  const base = PGD_DEFAULTS[norm];
  // α follows ε when only ε is given (torchattacks' reference rows use α = ε/4).
  const p: PgdParams = {
    ...base,
    ...params,
    alpha: params.alpha ?? (params.eps !== undefined ? (params.eps * base.alpha) / base.eps : base.alpha),
  };
  checkEpsilon('pgd', p.eps, norm);
  checkSteps('pgd', p.steps);
  if (!(p.alpha > 0)) throw new EngineError('USAGE', `pgd: step size α ${p.alpha}: expected a positive number`);
  if (!Number.isInteger(p.restarts) || p.restarts < 1)
    throw new EngineError('USAGE', `pgd: restarts ${p.restarts}: expected a whole number ≥ 1`);
  return {
    label: `PGD-${p.steps} ${norm === 'linf' ? 'L∞' : 'L2'} ε=${formatEpsilon(p.eps, norm)}${p.mode === 'minimal-eps' ? ' (minimal ε)' : ''}`,
    mode: p.mode,
    params: { attack: 'pgd', ...p },
    run: (batch, ctx) =>
      p.mode === 'minimal-eps'
        ? minimalEpsilon(batch, ctx, p.eps, p.searchSteps, async (eps, subset) => {
            const r = await pgdWithRestarts(subBatch(batch, subset, ctx.pixelsPerImage), ctx, p, eps);
            return { adversarial: r.adversarial, success: r.success, queries: r.queries };
          })
        : pgdWithRestarts(batch, ctx, p, new Float64Array(batch.count).fill(p.eps)),
  };
}

async function pgdWithRestarts(
  batch: AttackBatch,
  ctx: AttackContext,
  p: PgdParams,
  eps: Float64Array,
): Promise<AttackOutcome & { success: boolean[] }> {
  const per = ctx.pixelsPerImage;
  const alpha = Float64Array.from(eps, (e) => (e * p.alpha) / p.eps);
  let best: (AttackOutcome & { success: boolean[]; score: Float64Array }) | null = null;
  for (let r = 0; r < p.restarts; r++) {
    if (ctx.signal?.aborted && best) break;
    const run = await projectedGradientSteps(batch, ctx, {
      norm: p.norm,
      eps,
      alpha,
      steps: p.steps,
      randomStart: p.randomStart,
      earlyStop: p.earlyStop,
    });
    if (!best) {
      best = { adversarial: run.adversarial, queries: run.queries, success: run.success, score: run.score };
      continue;
    }
    for (let i = 0; i < batch.count; i++) {
      best.queries[i] += run.queries[i];
      const better = (run.success[i] && !best.success[i]) || (run.success[i] === best.success[i] && run.score[i] > best.score[i]);
      if (better) {
        best.adversarial.set(run.adversarial.subarray(i * per, (i + 1) * per), i * per);
        best.success[i] = run.success[i];
        best.score[i] = run.score[i];
      }
    }
  }
  return best!;
}
