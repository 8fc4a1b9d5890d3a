/** `eval`: clean accuracy of a classifier on an image folder, as a v1 report. */
import { performance } from 'node:perf_hooks';
import { evaluateClean, type Progress } from '../eval/cleanEval';
import { Classifier } from '../runtime/classifier';
import type { ReportV1 } from '../report/schema';
import { buildReport } from '../report/buildReport';
import { prepareData, prepareModel, type JobRequest } from './prepare';
import { sanitySection, sanityWarnings } from './sanityCheck';

export interface JobHooks {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onLog?: (line: string) => void;
  /** A report section finished (partial results stream to the panel as they arrive). */
  onSection?: (name: string, section: unknown) => void;
}

export async function runEvalJob(req: JobRequest, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  hooks.onLog?.(
    `dataset: ${data.dataset.samples.length} images in ${data.dataset.classNames.length} classes, evaluating ${data.samples.length}`,
  );
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  try {
    const t = performance.now();
    const clean = await evaluateClean(classifier, data.samples, {
      classNames: prepared.config.classNames ?? data.dataset.classNames,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    });
    prepared.timings.cleanEval = (performance.now() - t) / 1000;
    const { failed, ...cleanRest } = clean;
    // Not streamed: eval streams no section (its report arrives at once).
    const sanity = sanitySection(clean, prepared, data, classifier);
    return buildReport({
      command: 'eval',
      prepared,
      data,
      classifier,
      status: clean.partial ? 'partial' : 'complete',
      skippedImages: failed,
      sections: { clean: { kind: 'clean', ...cleanRest }, sanity },
      warnings: sanityWarnings(sanity),
    });
  } finally {
    await classifier.dispose();
  }
}
