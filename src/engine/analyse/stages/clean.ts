/** Stage "clean": the clean evaluation every later stage rests on. */
import { performance } from 'node:perf_hooks';
import { evaluateClean } from '../../eval/cleanEval';
import type { CleanSection } from '../../report/schema';
import type { AnalyseContext } from '../context';
import { sanitySection, sanityWarnings } from '../../jobs/sanityCheck';
import { ANALYSE_STAGES } from '../stageWork';

export interface CleanStage {
  /** Images that failed to decode (the report's skipped images). */
  skipped: { relPath: string; error: string }[];
  /** Cancelled during the evaluation: nothing after it would rest on the full sample. */
  stopped: boolean;
  /** Images correctly classified under the criterion (pass 2 re-attacks a prefix of them). */
  correct: Set<string>;
}

export async function runCleanStage(ctx: AnalyseContext): Promise<CleanStage> {
  const t0 = performance.now();
  const clean = await evaluateClean(ctx.classifier, ctx.data.samples, {
    classNames: ctx.classNames,
    ...ctx.signalOpt,
    onProgress: (q) => ctx.progress(ANALYSE_STAGES.clean, q.done, q.total),
  });
  ctx.prepared.timings.cleanEval = (performance.now() - t0) / 1000;
  const { failed, ...cleanRest } = clean;
  ctx.section('clean', { kind: 'clean', ...cleanRest } satisfies CleanSection);
  // Right after the clean evaluation: a wrong class order or preprocessing shows before the long stages run.
  const sanity = sanitySection(clean, ctx.prepared, ctx.data, ctx.classifier);
  ctx.section('sanity', sanity);
  ctx.warnings.push(...sanityWarnings(sanity));
  const criterion = ctx.plan.criterion;
  return {
    skipped: failed,
    stopped: clean.partial || !!ctx.hooks.signal?.aborted,
    correct: new Set(
      clean.predictions.filter((q) => (criterion === 'top1' ? q.predicted === q.label : q.top5.includes(q.label))).map((q) => q.relPath),
    ),
  };
}
