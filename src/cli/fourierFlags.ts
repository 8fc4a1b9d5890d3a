/** `fourier-heatmap` flags → the job's options, with messages that name the flag and what it expects. */
import { EngineError } from '../engine/errors';
import { wholeFlag, type Flags } from '../engine/defences/flags';
import type { FourierHeatmapOptions } from '../engine/jobs/fourierHeatmapJob';
import { DEFAULT_MAX_SIDE } from '../engine/spectral/fourierHeatmap';

export const FOURIER_FLAGS = {
  eps: { type: 'string' },
  grid: { type: 'string' },
  cutoff: { type: 'string' },
  out: { type: 'string' },
} as const;

export const FOURIER_USAGE = `  --eps E                L2 norm of the basis perturbation per channel, [0,1] pixel units (default 0.125·√(H·W):
                         Yin et al.'s 4 at 32×32, 3.5 at 28×28, 28 at 224×224)
  --grid N               at most N frequencies a side (default ${DEFAULT_MAX_SIDE}; larger images take every ⌈max(H,W)/N⌉-th frequency)
  --cutoff K             also map the model behind the low-pass filter with cutoff K (the defended model)
  --out DIR              run folder for report.json (default .robustness/runs/<time>-<model>)
  (cost: about (grid cells / 2) × images forward passes per model; --limit N samples fewer images)`;

export function fourierOptionsFromFlags(flags: Flags): FourierHeatmapOptions {
  let epsilon: number | null = null;
  if (flags.eps !== undefined) {
    const text = typeof flags.eps === 'string' ? flags.eps.trim() : '';
    epsilon = Number(text);
    if (text === '' || !Number.isFinite(epsilon) || epsilon <= 0 || epsilon > 1e6)
      throw new EngineError('USAGE', `--eps ${String(flags.eps)}: expected a positive L2 norm in [0,1] pixel units, e.g. --eps 4`, {
        hint: 'the default is 0.125·√(H·W) (4 at 32×32); a norm of 0 would perturb nothing',
      });
  }
  const maxSide = wholeFlag(flags, 'grid', 2) ?? DEFAULT_MAX_SIDE;
  if (maxSide > 256) throw new EngineError('USAGE', `--grid ${maxSide}: expected at most 256 frequencies a side`);
  return { epsilon, maxSide, cutoff: wholeFlag(flags, 'cutoff', 1) ?? null };
}
