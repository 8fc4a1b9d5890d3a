/** `certify` flags → the certify job's options, with messages that name the flag and what it expects. */
import { EngineError } from '../engine/errors';
import { CERTIFY_PRESETS, DEFAULT_ALPHA, DEFAULT_SIGMAS, EMPIRICAL_DEFAULTS } from '../protocol/certification';
import type { CertifyOptions } from '../engine/jobs/certifyJob';
import { choiceFlag, type Flags } from '../engine/defences/flags';

export const CERTIFY_FLAGS = {
  preset: { type: 'string' },
  sigma: { type: 'string' },
  n0: { type: 'string' },
  n: { type: 'string' },
  alpha: { type: 'string' },
  'attack-radii': { type: 'string' },
  'attack-steps': { type: 'string' },
  'eot-draws': { type: 'string' },
  'no-attack': { type: 'boolean' },
  out: { type: 'string' },
} as const;

export const CERTIFY_USAGE = `  --preset P             full (default: n0 = 100, n = 100,000) | fast (n0 = 100, n = 1,000)
  --sigma S[,S…]         Gaussian noise levels σ in pixel units ([0,1] pixels, before mean/std; default 0.12,0.25,0.5)
  --n0 N                 selection samples per image and σ (default 100; must be below --n)
  --n N                  estimation samples per image and σ (default: the preset's)
  --alpha A              failure probability of each certificate, in (0, 0.5) (default 0.001)
  --attack-radii R[,R…]  L2 radii (pixel units) of the empirical attack on the smoothed classifier beside the
                         certificates: AutoAttack's rand version, APGD-CE then APGD-DLR with Gaussian EOT, each
                         example judged by PREDICT (default ${EMPIRICAL_DEFAULTS.radii.join(',')})
  --attack-steps N       APGD steps per attack (default ${EMPIRICAL_DEFAULTS.steps.full}; fast preset ${EMPIRICAL_DEFAULTS.steps.fast})
  --eot-draws M          Gaussian noise draws averaged per gradient call (default ${EMPIRICAL_DEFAULTS.eotDraws})
  --no-attack            certificates only (no empirical attack)
  --out DIR              run folder for report.json (default .robustness/runs/<time>-<model>)`;

function count(flags: Flags, name: string, min: number): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < min || n > 100_000_000)
    throw new EngineError('USAGE', `--${name} ${String(v)}: expected a whole number of samples from ${min} to 100000000`);
  return n;
}

export function certifyOptionsFromFlags(flags: Flags): CertifyOptions {
  const preset = choiceFlag(flags, 'preset', ['full', 'fast'] as const) ?? 'full';
  const sigmas =
    typeof flags.sigma === 'string'
      ? flags.sigma.split(',').map((t) => {
          const s = Number(t.trim());
          if (t.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 10)
            throw new EngineError(
              'USAGE',
              `--sigma ${flags.sigma as string}: expected noise levels σ > 0 (at most 10) in pixel units, e.g. --sigma 0.25,0.5`,
            );
          return s;
        })
      : [...DEFAULT_SIGMAS];
  if (sigmas.length > 16) throw new EngineError('USAGE', `--sigma: expected at most 16 noise levels, got ${sigmas.length}`);
  const n0 = count(flags, 'n0', 1) ?? CERTIFY_PRESETS[preset].n0;
  const n = count(flags, 'n', 2) ?? CERTIFY_PRESETS[preset].n;
  if (n0 >= n)
    throw new EngineError('USAGE', `--n0 ${n0} with --n ${n}: the selection samples n0 must be fewer than the estimation samples n`, {
      hint: 'Cohen et al. use n0 = 100 and n = 100000',
    });
  let alpha = DEFAULT_ALPHA;
  if (flags.alpha !== undefined) {
    alpha = Number(flags.alpha);
    if (typeof flags.alpha !== 'string' || flags.alpha.trim() === '' || !(alpha > 0 && alpha < 0.5))
      throw new EngineError(
        'USAGE',
        `--alpha ${String(flags.alpha)}: expected a failure probability strictly between 0 and 0.5, e.g. 0.001`,
      );
  }
  return { preset, sigmas, n0, n, alpha, attack: attackFromFlags(flags, preset) };
}

function attackFromFlags(flags: Flags, preset: 'full' | 'fast'): CertifyOptions['attack'] {
  const named = ['attack-radii', 'attack-steps', 'eot-draws'].filter((f) => flags[f] !== undefined);
  if (flags['no-attack'] === true) {
    if (named.length) throw new EngineError('USAGE', `--no-attack with --${named[0]}: the attack's settings need the attack`);
    return null;
  }
  const radii =
    typeof flags['attack-radii'] === 'string'
      ? flags['attack-radii'].split(',').map((t) => {
          const r = Number(t.trim());
          if (t.trim() === '' || !Number.isFinite(r) || r <= 0 || r > 100)
            throw new EngineError(
              'USAGE',
              `--attack-radii ${flags['attack-radii'] as string}: expected L2 radii > 0 (at most 100) in pixel units, e.g. --attack-radii 0.25,0.5`,
            );
          return r;
        })
      : [...EMPIRICAL_DEFAULTS.radii];
  if (radii.length > 16) throw new EngineError('USAGE', `--attack-radii: expected at most 16 radii, got ${radii.length}`);
  const whole = (name: string, max: number): number | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    const k = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(k) || k < 1 || k > max)
      throw new EngineError('USAGE', `--${name} ${String(v)}: expected a whole number from 1 to ${max}`);
    return k;
  };
  return {
    radii,
    steps: whole('attack-steps', 10_000) ?? EMPIRICAL_DEFAULTS.steps[preset],
    eotDraws: whole('eot-draws', 1000) ?? EMPIRICAL_DEFAULTS.eotDraws,
  };
}
