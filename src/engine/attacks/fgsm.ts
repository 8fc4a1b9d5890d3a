/**
 * FGSM (Goodfellow et al., 2015): one L∞ step of size ε along sign(∇ₓ CE) — x' = clip(x + ε·sign(∇)).
 * Fixed-ε, or minimal-ε: the smallest ε on a grid up to the budget (one gradient, forward passes only).
 */
import { attackDefaults } from './catalog';
import { checkEpsilon } from './gradientSteps';
import { fastGradient } from './fastGradient';
import { formatEpsilon } from './format';
import type { Attack } from './types';

export interface FgsmParams {
  eps: number;
  mode: 'fixed-eps' | 'minimal-eps';
  /** Grid size of the minimal-ε line search. */
  gridSize: number;
}

/** From the catalog: ε = 8/255, fixed-ε, a 100-point grid. */
export const FGSM_DEFAULTS = attackDefaults('fgsm') as unknown as FgsmParams;

export function createFgsm(params: Partial<FgsmParams> = {}): Attack {
  const p = { ...FGSM_DEFAULTS, ...params };
  checkEpsilon('fgsm', p.eps, 'linf');
  return {
    label: `FGSM ε=${formatEpsilon(p.eps, 'linf')}${p.mode === 'minimal-eps' ? ' (minimal ε)' : ''}`,
    mode: p.mode,
    params: { attack: 'fgsm', ...p },
    run: (batch, ctx) => fastGradient(batch, ctx, 'linf', p.eps, p.mode, p.gridSize),
  };
}
