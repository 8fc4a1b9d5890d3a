/**
 * `explain`: Occluded Frequency attribution of one image (optionally two models side by side).
 * (Being written; the signature is the contract the CLI and the engine process use.)
 */
import type { ReportV1 } from '../report/schema';
import type { JobHooks } from './evalJob';
import type { JobRequest } from './prepare';

export interface ExplainOptions {
  imagePath: string;
  /** A second model for the side-by-side view (same preprocessing unless its own robustness.json says otherwise). */
  compareModelPath: string | null;
  baseline: 'zero' | 'noise';
  /** Folder for the ablated-image previews; none = no previews. */
  outDir: string | null;
}

export async function runExplainJob(req: JobRequest, opts: ExplainOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  void req; void opts; void hooks;
  throw new Error('explain: not implemented yet');
}
