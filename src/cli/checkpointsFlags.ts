/** `checkpoints` flags → the job's options, with messages that name the flag and what it expects. */
import { parseEpsilon } from '../engine/attacks/format';
import { choiceFlag, wholeFlag, type Flags } from '../engine/defences/flags';
import { EngineError } from '../engine/errors';
import { defaultCheckpointCacheDir } from '../engine/checkpoints/cache';
import type { CheckpointsOptions } from '../engine/jobs/checkpointsJob';

export const CHECKPOINT_FLAGS = {
  eps: { type: 'string' },
  norm: { type: 'string' },
  steps: { type: 'string' },
  alpha: { type: 'string' },
  cutoff: { type: 'string' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
  out: { type: 'string' },
} as const;

export const CHECKPOINT_USAGE = `  --norm N               l2 (default: FGM and PGD-L2) | linf (FGSM, i.e. FGM under L∞, and PGD-L∞)
  --eps E                the fixed ε in [0,1] pixel units (default 1 for l2, 8/255 for linf)
  --steps N              PGD steps (default 10)
  --alpha A              PGD step size (default ε/4)
  --cutoff K             k_c of the low band S_l = {|k_x|, |k_y| ≤ K} (default max(1, ⌊min(H,W)/4⌋))
  --cache DIR            per-checkpoint results cache (default <folder>/.robustness/checkpoint-cache)
  --no-cache             compute every checkpoint, read and write no cache
  --out DIR              run folder for report.json (default .robustness/runs/<time>-<folder>)
  (only the .onnx files directly in the folder; ordered by the number in their names, else by modification time)`;

function positive(flags: Flags, name: string, max: number): number | null {
  const v = flags[name];
  if (v === undefined) return null;
  const n = typeof v === 'string' ? parseEpsilon(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new EngineError('USAGE', `--${name} ${String(v)}: expected a positive number up to ${max} (e.g. 1, 0.5 or 8/255)`);
  return n;
}

export function checkpointOptionsFromFlags(flags: Flags, folder: string): CheckpointsOptions {
  if (flags.cache !== undefined && flags['no-cache'] === true) throw new EngineError('USAGE', '--cache and --no-cache exclude each other');
  const norm = choiceFlag(flags, 'norm', ['l2', 'linf'] as const) ?? 'l2';
  const epsilon = positive(flags, 'eps', norm === 'linf' ? 1 : 1000);
  return {
    norm,
    epsilon,
    pgdSteps: wholeFlag(flags, 'steps', 1) ?? 10,
    pgdAlpha: positive(flags, 'alpha', 1000),
    cutoff: wholeFlag(flags, 'cutoff', 0) ?? null,
    cacheDir: flags['no-cache'] === true ? null : typeof flags.cache === 'string' ? flags.cache : defaultCheckpointCacheDir(folder),
  };
}
