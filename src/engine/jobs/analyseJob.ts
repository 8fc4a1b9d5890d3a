/**
 * `analyse`: the full suite in one report — clean evaluation, the attack suite (fixed-ε and minimal-ε),
 * defences with their adaptive numbers, Occluded Frequency, RCT maps, spectra and sweeps.
 * (Being written; the signature is the contract the CLI and the engine process use.)
 */
import type { ReportV1 } from '../report/schema';
import type { JobHooks } from './evalJob';
import type { JobRequest } from './prepare';

export interface AnalyseOptions {
  /** Fewer images per expensive stage and shorter sweeps (the Quick Attack Check uses the attack job instead). */
  preset: 'full' | 'fast';
  /** Post-averaging K and r (null: r chosen by the sweep). */
  K: number;
  radius: number | null;
  directions: 'random' | 'approx';
  /** Low-pass cutoff (null: chosen by the sweep). */
  cutoff: number | null;
  /** Attack ε list for fixed-ε rows and the ε sweep, in pixel units (null: the attacks' defaults). */
  epsilons: number[] | null;
  /** Folder for gallery PNGs and OF previews; none = no images. */
  outDir: string | null;
}

export async function runAnalyseJob(req: JobRequest, opts: AnalyseOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  void req; void opts; void hooks;
  throw new Error('analyse: not implemented yet');
}
