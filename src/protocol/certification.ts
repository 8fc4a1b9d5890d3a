/**
 * The `certification` report section: per image and noise level σ the smoothed classifier's certified
 * prediction (or abstention), pA_lower and L2 radius, and per σ the certified accuracy against the radius.
 * Beside the certificates (lower bounds), the smoothed classifier's empirical robust accuracy under
 * AutoAttack's rand version (an upper bound) at a few radii. Pure (no runtime imports), so the webview and the
 * CLI read the same definitions.
 */
import { array, boolean, check, integer, nullable, number, object, oneOf, refine, string, type Infer } from './schema';

export interface CertificationParams {
  preset: 'fast' | 'full';
  /** Selection samples (choose cA), estimation samples (bound pA), and the failure probability. */
  n0: number;
  n: number;
  alpha: number;
  sigmas: number[];
  /** Where the noise is added and in which units radii are measured. */
  noiseSpace: 'pixels';
  noiseNote: string;
  /** Noisy copies per model call. */
  samplesPerCall: number;
}

/** One σ over the finished images, in the order of `images` (column storage). */
export interface CertificationRun {
  sigma: number;
  /** The certified class, or null where CERTIFY abstained (pA_lower < ½). */
  prediction: (number | null)[];
  /** cA's votes among the n estimation samples. */
  nA: number[];
  pALower: number[];
  /** σ·Φ⁻¹(pA_lower), L2 in pixel units; null where it abstained. */
  radius: (number | null)[];
  correct: boolean[];
  /** Seconds spent on each image at this σ. */
  seconds: number[];
  /** Fraction of the images both correct and certified at radius ≥ r, for each r of the section's `radii`. */
  certifiedAccuracy: number[];
  abstentionRate: number;
  /** Seed of this σ's first image; image i uses seed + i (the report's `seeds` give the formula). */
  seed: number;
  totalSeconds: number;
  /** The empirical attack at this σ (absent or null: not run, e.g. --no-attack). */
  empirical?: EmpiricalRun | null;
}

export interface CertificationSection {
  kind: 'certification';
  params: CertificationParams;
  /** The images whose every σ finished (a cancelled run keeps these). */
  images: { file: string[]; label: number[] };
  /** The radius grid of the curves (pixel units, L2). */
  radii: number[];
  runs: CertificationRun[];
  /** How the smoothed classifier was attacked (absent or null: no empirical attack). */
  attack?: EmpiricalAttackParams | null;
}

/** Per-image lists of a row are capped like the certify job's images. */
const MAX_IMAGES = 10_000_000;
const fraction = number({ check: (x) => x >= 0 && x <= 1 });

/**
 * One radius of one σ: per attacked image (the first `attacked` of the section's images, in that order)
 * whether the smoothed classifier stayed correct under the attack at L2 radius r, and PREDICT's answer on
 * the example that decided (the breaking one, or the last tried; null: abstained).
 */
export const empiricalRowSchema = refine(
  object({
    radius: number({ check: (r) => r > 0 && r <= 1e6 }),
    attacked: integer({ min: 0, max: MAX_IMAGES }),
    robust: array(boolean(), { max: MAX_IMAGES }),
    prediction: array(nullable(integer({ min: 0 })), { max: MAX_IMAGES }),
    /** Share of the attacked images robust under the attack (an upper bound on the robust accuracy). */
    empiricalAccuracy: fraction,
    /** Share of the same images correct and certified at radius ≥ r (a lower bound). */
    certifiedAccuracy: fraction,
    /** Images certified (correct) at radius ≥ r whose PREDICT named another class under the attack: probability ≈ α each. */
    contradictions: integer({ min: 0, max: MAX_IMAGES }),
    /** Images certified at radius ≥ r where PREDICT abstained on the example (not robust, but no contradiction). */
    certifiedAbstained: integer({ min: 0, max: MAX_IMAGES }),
  }),
  (row) => {
    if (row.robust.length !== row.attacked || row.prediction.length !== row.attacked)
      return `must have one robust flag and one prediction per attacked image (${row.attacked}; got ${row.robust.length} and ${row.prediction.length})`;
    const robust = row.robust.filter(Boolean).length;
    const share = row.attacked ? robust / row.attacked : 0;
    if (Math.abs(share - row.empiricalAccuracy) > 1e-9)
      return `empiricalAccuracy ${row.empiricalAccuracy} is not the share of robust images (${robust} of ${row.attacked})`;
    if (row.contradictions + row.certifiedAbstained > row.attacked) return 'counts more contradictions and abstentions than images';
    return null;
  },
);
export type EmpiricalRow = Infer<typeof empiricalRowSchema>;

export const empiricalRunSchema = object({
  rows: array(empiricalRowSchema, { max: 64 }),
  /** Seconds of the attack and its judging at this σ, beside the certification's totalSeconds. */
  seconds: number({ check: (x) => x >= 0 }),
  /** Images through the base model's gradient graph (each noise draw counts), and forward passes (PREDICT). */
  gradientPasses: integer({ min: 0 }),
  forwardPasses: integer({ min: 0 }),
  /** Seeds of this σ's first batch (the report's `seeds` give the formulas). */
  seed: integer({ min: 0 }),
});
export type EmpiricalRun = Infer<typeof empiricalRunSchema>;

export const empiricalAttackParamsSchema = object({
  /** The attacks run in turn on the images still robust, e.g. APGD-CE then APGD-DLR. */
  attacks: array(string({ max: 200 }), { min: 1, max: 4 }),
  norm: oneOf(['l2']),
  radii: array(number({ check: (r) => r > 0 && r <= 1e6 }), { min: 1, max: 64 }),
  steps: integer({ min: 1, max: 100_000 }),
  restarts: integer({ min: 1, max: 100 }),
  /** Gaussian noise draws averaged per gradient call (EOT). */
  eotDraws: integer({ min: 1, max: 100_000 }),
  /** analytic: the model's gradient graph; estimated: NES (forward passes only) — the attack is weaker. */
  gradient: oneOf(['analytic', 'estimated']),
  note: string({ max: 2000 }),
});
export type EmpiricalAttackParams = Infer<typeof empiricalAttackParamsSchema>;

/** null when the section's empirical parts (if any) are well formed; else the first problem, with its path. */
export function empiricalProblem(s: Pick<CertificationSection, 'attack' | 'runs'>): string | null {
  if (s.attack !== undefined && s.attack !== null) {
    const r = check(empiricalAttackParamsSchema, s.attack, 'attack');
    if (!r.ok) return r.reason;
  }
  for (let i = 0; i < s.runs.length; i++) {
    const e = s.runs[i].empirical;
    if (e === undefined || e === null) continue;
    const r = check(empiricalRunSchema, e, `runs[${i}].empirical`);
    if (!r.ok) return r.reason;
  }
  return null;
}

/** AutoAttack's rand-version defaults against g: radii (pixel units, L2), EOT draws, steps per preset. */
export const EMPIRICAL_DEFAULTS = {
  radii: [0.25, 0.5],
  eotDraws: 20,
  steps: { full: 100, fast: 10 },
} as const;

/** Fraction of the images that are correct with a certified radius of at least r. */
export function certifiedAccuracyAt(run: Pick<CertificationRun, 'radius' | 'correct'>, r: number): number {
  const n = run.correct.length;
  if (n === 0) return 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const radius = run.radius[i];
    if (run.correct[i] && radius !== null && radius >= r) k++;
  }
  return k / n;
}

/**
 * A radius grid from 0 to 4·max σ (about the largest radius n = 10⁵ samples can certify) in a round step
 * (1, 2.5 or 5 × 10^k) of about 50 points, so that 0.25, 0.5 and 1 fall on it for the usual σ.
 */
export function radiusGrid(sigmas: number[]): number[] {
  const top = 4 * Math.max(...sigmas);
  const rough = top / 50;
  const decade = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2.5, 5, 10].map((m) => m * decade).find((s) => s >= rough * (1 - 1e-12))!;
  const count = Math.ceil(top / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** Cohen et al.'s settings: n0 = 100, n = 100,000, alpha = 0.001, σ ∈ {0.12, 0.25, 0.5}; `fast` takes n = 1,000. */
export const CERTIFY_PRESETS = {
  full: { n0: 100, n: 100_000 },
  fast: { n0: 100, n: 1_000 },
} as const;
export const DEFAULT_SIGMAS = [0.12, 0.25, 0.5] as const;
export const DEFAULT_ALPHA = 0.001;
