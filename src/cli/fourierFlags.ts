/** `fourier-heatmap` flags → the job's options, with messages that name the flag and what it expects. */
import { EngineError } from '../engine/errors';
import { wholeFlag, type Flags } from '../engine/defences/flags';
import type { FourierHeatmapOptions } from '../engine/jobs/fourierHeatmapJob';
import { DEFAULT_K, pointsPerImage } from '../engine/defences/postAveraging';
import { DEFAULT_MAX_SIDE, FOURIER_DEFENCES, FOURIER_DEFENDED_MAX_SIDE, type FourierDefence } from '../engine/spectral/fourierHeatmap';

export const FOURIER_FLAGS = {
  eps: { type: 'string' },
  grid: { type: 'string' },
  cutoff: { type: 'string' },
  defence: { type: 'string' },
  out: { type: 'string' },
} as const;

export const FOURIER_USAGE = `  --eps E                L2 norm of the basis perturbation per channel, [0,1] pixel units (default 0.125·√(H·W):
                         Yin et al.'s 4 at 32×32, 3.5 at 28×28, 28 at 224×224)
  --grid N               at most N frequencies a side (default ${DEFAULT_MAX_SIDE}; larger images take every ⌈max(H,W)/N⌉-th frequency)
  --defence LIST         defended models mapped beside the model: post-averaging,low-pass | post-averaging | low-pass | none
                         (default: both for images up to ${FOURIER_DEFENDED_MAX_SIDE}×${FOURIER_DEFENDED_MAX_SIDE}, none for larger ones; post-averaging uses
                         K = ${DEFAULT_K} random directions at r = 0.0915·√d, randomized: one seeded draw per image and cell)
  --cutoff K             the low-pass defence's cutoff (default max(1, ⌊min(H,W)/4⌋)); alone it adds the low-pass map
  --out DIR              run folder for report.json (default .robustness/runs/<time>-<model>)
  (cost: about (grid cells / 2) × images forward passes per model, ${pointsPerImage(DEFAULT_K)}× that (6K+1) for post-averaging;
   --limit N samples fewer images)`;

/** `--defence` → the defences mapped (undefined: the job's default). */
export function fourierDefencesFlag(value: Flags[string]): FourierDefence[] | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'none') return [];
  const names = text.split(',').map((n) => n.trim().replace(/[_\s]/g, '-'));
  const out: FourierDefence[] = [];
  for (const n of names) {
    const d = n === 'lowpass' ? 'low-pass' : n;
    if (!(FOURIER_DEFENCES as readonly string[]).includes(d))
      throw new EngineError('USAGE', `--defence ${text}: unknown defence "${n}"`, {
        hint: 'expected post-averaging, low-pass, both separated by a comma, or none',
      });
    if (!out.includes(d as FourierDefence)) out.push(d as FourierDefence);
  }
  return out;
}

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
  const defences = fourierDefencesFlag(flags.defence);
  return { epsilon, maxSide, cutoff: wholeFlag(flags, 'cutoff', 1) ?? null, ...(defences !== undefined ? { defences } : {}) };
}
