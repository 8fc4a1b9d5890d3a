/**
 * The `certification` report section: per image and noise level σ the smoothed classifier's certified
 * prediction (or abstention), pA_lower and L2 radius, and per σ the certified accuracy against the radius.
 * Pure (no runtime imports), so the webview and the CLI read the same definitions.
 */

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
}

export interface CertificationSection {
  kind: 'certification';
  params: CertificationParams;
  /** The images whose every σ finished (a cancelled run keeps these). */
  images: { file: string[]; label: number[] };
  /** The radius grid of the curves (pixel units, L2). */
  radii: number[];
  runs: CertificationRun[];
}

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
