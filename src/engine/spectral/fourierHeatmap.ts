/**
 * The Fourier heat map of Yin et al. 2019 ("A Fourier perspective on model robustness"): for each frequency
 * (k_y, k_x), every image gets ε·r·U_{k} added (r = ±1 drawn per image and channel, U_k the real Fourier
 * basis of that frequency with unit L2 norm), is clipped to [0, 1] and classified; the cell holds the
 * top-1 error rate. U_k is the real part of the inverse DFT of a one-hot spectrum at k — what
 * irfft2(one-hot) gives for k in the rfft half-plane — so U_k = U_{−k}: the map is symmetric about DC and
 * each Hermitian pair is computed once and drawn twice.
 *
 * Frequencies are the centred DFT's, −⌊n/2⌋ … ⌈n/2⌉ − 1 cycles per image per axis (spectra.ts' layout,
 * DC in the middle; for even n the Nyquist frequency −n/2 is its own mirror). Large images get a coarser
 * grid: every `stride`-th frequency on both axes, so that no side has more than `maxSide` cells.
 *
 * Pure (no runtime imports beyond the FFT), so the section type serves the webview and the CLI too.
 */
import { ifft2 } from './fft';

/** Yin et al. use ε = 4 at 32×32 (CIFAR-10, pixels in [0,1]): a per-pixel RMS of 4/32 = 0.125, kept at every size. */
export const DEFAULT_RMS = 0.125;
export const DEFAULT_MAX_SIDE = 32;

/** The default ε for h × w images: 0.125·√(h·w) (4 at 32×32, 3.5 at 28×28, 28 at 224×224). */
export function defaultEpsilon(h: number, w: number): number {
  return DEFAULT_RMS * Math.sqrt(h * w);
}

/**
 * The real Fourier basis of frequency (fy, fx) on an h × w plane with unit L2 norm: Re(ifft2(one-hot at
 * (fy mod h, fx mod w))), normalised. It equals √(2/(hw))·cos(2π(fy·y/h + fx·x/w)) except where the frequency
 * is its own mirror (DC, Nyquist), where it is ±1/√(hw).
 */
export function fourierBasis(h: number, w: number, fy: number, fx: number): Float64Array {
  const re = new Float64Array(h * w);
  re[mod(fy, h) * w + mod(fx, w)] = 1;
  const plane = ifft2(re, new Float64Array(h * w), h, w).re;
  let sq = 0;
  for (const v of plane) sq += v * v;
  const s = 1 / Math.sqrt(sq);
  for (let i = 0; i < plane.length; i++) plane[i] *= s;
  return plane;
}

export interface FrequencyGrid {
  /** Every stride-th frequency on both axes (1 = every frequency). */
  stride: number;
  /** The rows' and the columns' frequencies in cycles per image, ascending, 0 among them. */
  fy: number[];
  fx: number[];
}

/** The grid for h × w images: stride ⌈max(h, w)/maxSide⌉ (at least `minStride`), frequencies that are multiples of it. */
export function frequencyGrid(h: number, w: number, maxSide = DEFAULT_MAX_SIDE, minStride = 1): FrequencyGrid {
  const stride = Math.max(1, minStride, Math.ceil(Math.max(h, w) / maxSide));
  const axis = (n: number) => {
    const out: number[] = [];
    for (let f = -Math.floor(n / 2); f <= Math.ceil(n / 2) - 1; f++) if (f % stride === 0) out.push(f === 0 ? 0 : f);
    return out;
  };
  return { stride, fy: axis(h), fx: axis(w) };
}

/** −f as a centred frequency of an axis of n: for even n, −n/2 is its own mirror (it aliases to n/2). */
export function mirrorFrequency(f: number, n: number): number {
  return n % 2 === 0 && f === -n / 2 ? f : f === 0 ? 0 : -f;
}

export interface GridCell {
  /** Row-major index in the grid of the representative, and of its mirror (equal when self-mirrored). */
  index: number;
  mirror: number;
  fy: number;
  fx: number;
}

/**
 * One cell per Hermitian pair: the first of each pair in row-major order, with its mirror's place. The
 * order is the order of computation (rows from the most negative k_y), so a cancelled run's finished
 * cells are whole pairs.
 */
export function distinctCells(grid: FrequencyGrid, h: number, w: number): GridCell[] {
  const mx = grid.fx.length;
  const seen = new Set<number>();
  const cells: GridCell[] = [];
  for (let r = 0; r < grid.fy.length; r++) {
    for (let c = 0; c < mx; c++) {
      const index = r * mx + c;
      if (seen.has(index)) continue;
      const mr = grid.fy.indexOf(mirrorFrequency(grid.fy[r], h));
      const mc = grid.fx.indexOf(mirrorFrequency(grid.fx[c], w));
      if (mr < 0 || mc < 0) throw new Error(`fourier grid: the mirror of (${grid.fy[r]}, ${grid.fx[c]}) is not on the grid`);
      const mirror = mr * mx + mc;
      seen.add(index).add(mirror);
      cells.push({ index, mirror, fy: grid.fy[r], fx: grid.fx[c] });
    }
  }
  return cells;
}

export interface FourierHeatmapParams {
  /** L2 norm of the perturbation of each channel, in [0,1] pixel units. */
  epsilon: number;
  epsilonSource: 'default' | 'user';
  epsilonNote: string;
  height: number;
  width: number;
  channels: number;
  /** The grid: every stride-th frequency (stride 1: all of them), at most maxSide cells a side. */
  stride: number;
  maxSide: number;
  /** Distinct cells (Hermitian pairs) computed, of the grid's. */
  cellsDone: number;
  cellsTotal: number;
  images: number;
  /** Forward passes per model: distinct cells × images. */
  passesPerModel: number;
  seed: number;
}

/** The models a heat map can be of: as given, or behind one of the defences (engine/defences/). */
export const FOURIER_DEFENCES = ['post-averaging', 'low-pass'] as const;
export type FourierDefence = (typeof FOURIER_DEFENCES)[number];

/** Images larger than this a side get only the model's map unless the defences are asked for (post-averaging's 6K+1 passes per point). */
export const FOURIER_DEFENDED_MAX_SIDE = 64;

export interface FourierHeatmapMap {
  /** 'model': the model as given; 'low-pass': behind the low-pass filter at `cutoff`; 'post-averaging': the post-averaged model. */
  model: 'model' | FourierDefence;
  label: string;
  cutoff: number | null;
  /** The defence's parameters as used (post-averaging: K, radius, points per image, seed …); absent for the model as given. */
  defence?: { params: Record<string, number | string>; note: string };
  /** Forward passes of the underlying model this map costs (cells × images × points per image). */
  passes?: number;
  /** Top-1 error of the unperturbed images. */
  cleanError: number;
  /** Top-1 error per cell, row-major over (fy, fx); null where the cell was not computed (a cancelled run). */
  errorRate: (number | null)[];
  /** Mean over the computed cells of the full (symmetric) grid, and the cell of highest error. */
  meanError: number | null;
  peak: { fy: number; fx: number; error: number } | null;
  seconds: number;
}

export interface FourierHeatmapSection {
  kind: 'fourier-heatmap';
  definition: string;
  params: FourierHeatmapParams;
  /** The rows' and the columns' frequencies, cycles per image (centred: DC in the middle). */
  fy: number[];
  fx: number[];
  maps: FourierHeatmapMap[];
}

export const FOURIER_HEATMAP_DEFINITION =
  'Fourier heat map (Yin et al. 2019): for each frequency (k_y, k_x) the real Fourier basis U (unit L2 norm) scaled by ε is added to every image ' +
  'with a random sign per image and channel, the result clipped to [0,1] and classified; each cell is the top-1 error rate. ' +
  'U(k) = U(−k), so the map is symmetric about DC (each pair computed once).';

/** Mean and peak of a map over its computed cells. */
export function mapSummary(
  errorRate: (number | null)[],
  grid: Pick<FrequencyGrid, 'fy' | 'fx'>,
): Pick<FourierHeatmapMap, 'meanError' | 'peak'> {
  let sum = 0,
    n = 0,
    peak: FourierHeatmapMap['peak'] = null;
  const mx = grid.fx.length;
  errorRate.forEach((e, i) => {
    if (e === null) return;
    sum += e;
    n++;
    const fy = grid.fy[Math.floor(i / mx)],
      fx = grid.fx[i % mx];
    // ties: the lower frequency (by |k|), so the peak does not depend on the grid's order
    if (!peak || e > peak.error || (e === peak.error && Math.hypot(fy, fx) < Math.hypot(peak.fy, peak.fx))) peak = { fy, fx, error: e };
  });
  return { meanError: n ? sum / n : null, peak };
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
