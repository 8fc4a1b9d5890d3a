/** The analyse job's options (the `defend` command is the same job with fewer sections). */
import type { AttackSpec } from '../attacks/registry';
import type { Criterion } from '../attacks/types';
import type { DefenceSpec } from '../report/sections';

export type DefenceName = DefenceSpec['kind'];

export interface AnalyseOptions {
  /** 'fast': a shorter suite and grids (the VS Code default for large models); 'full': the papers' figures. */
  preset: 'full' | 'fast';
  /** Attacks of the suite (null: the preset's suite, fixed-ε and minimal-ε). */
  attacks: AttackSpec[] | null;
  /** Post-averaging K and r (null: r chosen by the sweep). */
  K: number;
  radius: number | null;
  directions: 'random' | 'approx';
  /** Low-pass cutoff (null: chosen by the sweep). */
  cutoff: number | null;
  /** L∞ ε list in pixel units: the first is the fixed-ε attacks' ε, all of them form the ε sweep (null: 8/255 and its multiples). */
  epsilons: number[] | null;
  /** Folder for gallery PNGs and OF previews; none = no images. */
  outDir: string | null;
  /** Which defences (default both). */
  defences?: DefenceName[];
  /** Which frequency analyses (default all). */
  analyses?: AnalysesChoice;
  /** Images re-attacked adaptively and used for the ε sweep (default: full 200, fast 32). */
  adaptiveImages?: number;
  /** Images explained by Occluded Frequency (default: full 200, fast 32). */
  ofImages?: number;
  ofBaseline?: 'zero' | 'noise';
  /** Clean top-1 drop allowed when the sweep picks r or the cutoff (default 0.01 = 1 pp). */
  cleanDropTolerance?: number;
  criterion?: Criterion;
}

export interface AnalysesChoice { occludedFrequency: boolean; rct: boolean; spectra: boolean; sweeps: boolean }

export const EPSILON_FACTORS = [0.25, 0.5, 1, 2] as const;
