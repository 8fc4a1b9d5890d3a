/** FGM (L2 fast gradient): one step of L2 length ε along ∇ₓ CE / ‖∇ₓ CE‖₂; fixed-ε or minimal-ε. */
import { checkEpsilon } from './gradientSteps';
import { fastGradient } from './fastGradient';
import { formatEpsilon } from './format';
import type { Attack } from './types';

export interface FgmParams {
  eps: number;
  mode: 'fixed-eps' | 'minimal-eps';
  gridSize: number;
}

export const FGM_DEFAULTS: FgmParams = { eps: 1.0, mode: 'fixed-eps', gridSize: 100 };

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
