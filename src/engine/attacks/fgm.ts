/** FGM (L2 fast gradient): one step of L2 length ε along ∇ₓ CE / ‖∇ₓ CE‖₂; fixed-ε or minimal-ε. */
import { attackDefaults } from './catalog';
import { checkEpsilon } from './gradientSteps';
import { fastGradient } from './fastGradient';
import { formatEpsilon } from './format';
import type { Attack } from './types';

export interface FgmParams {
  eps: number;
  mode: 'fixed-eps' | 'minimal-eps';
  gridSize: number;
}

/** From the catalog: ε = 1.0, fixed-ε, a 100-point grid. */
export const FGM_DEFAULTS = attackDefaults('fgm') as unknown as FgmParams;

export function createFgm(params: Partial<FgmParams> = {}): Attack {
  const p = { ...FGM_DEFAULTS, ...params };
  checkEpsilon('fgm', p.eps, 'l2');
  return {
    label: `FGM L2 ε=${formatEpsilon(p.eps, 'l2')}${p.mode === 'minimal-eps' ? ' (minimal ε)' : ''}`,
    mode: p.mode,
    params: { attack: 'fgm', ...p },
    run: (batch, ctx) => fastGradient(batch, ctx, 'l2', p.eps, p.mode, p.gridSize),
  };
}
