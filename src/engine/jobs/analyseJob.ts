/**
 * `analyse` (and `defend`, which is the same job with fewer sections): clean evaluation, the attack suite
 * (fixed-ε and minimal-ε side by side), the no-retraining defences with their adaptive numbers, and the
 * frequency lens — Occluded Frequency, RCT maps, perturbation spectra — plus the papers' sweeps, in one
 * report. The job is a pipeline of named stages (engine/analyse/); the defences are engine/defences/index.ts.
 */
import { runAnalysePipeline } from '../analyse/pipeline';
import type { AnalyseOptions } from '../analyse/options';
import type { ReportV1 } from '../report/schema';
import type { JobHooks } from './evalJob';
import type { JobRequest } from './prepare';

export type { AnalyseOptions, DefenceName } from '../analyse/options';
export { EPSILON_FACTORS } from '../analyse/options';
export { analyseSuite, planAnalyse } from '../analyse/plan';
export { RADIUS_FACTORS, K_GRID } from '../defences/postAveragingDefence';
export { cutoffGrid } from '../defences/lowPassDefence';

export async function runAnalyseJob(req: JobRequest, opts: AnalyseOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  return runAnalysePipeline(req, opts, hooks);
}
