/**
 * `estimate`: a short timing probe before an analyse run. It loads the model and its configuration as the
 * run would, times a forward batch, an input-gradient batch (the cross-entropy gradient the white-box
 * attacks follow) and one defended batch of each kind (analyse/probe.ts) on images of the configured sample,
 * and counts the work of each preset × image count asked for from the same plan the run would make
 * (analyse/passCounts.ts, defended passes at the probe's factors). The extension prices the choices with the
 * two costs; nothing is written and no attack runs.
 */
import { performance } from 'node:perf_hooks';
import { analyseWork } from '../analyse/passCounts';
import { extrasWork, planExtras, runSecondsInForwardPasses } from '../analyse/extras';
import type { AnalysePreset } from '../attacks/catalog';
import { planAnalyse } from '../analyse/plan';
import { probePassCosts } from '../analyse/probe';
import { resolveEotSamples } from '../analyse/budget';
import { TIMING_PROBE_SECTION, type EstimateChoice, type TimingProbeSection } from '../analyse/stageWork';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';

export type EstimateOptions = JobOptionsByKind['estimate'];

export { PROBE_IMAGES, PROBE_REPEATS } from '../analyse/probe';
export type { EstimateChoice, TimingProbeSection } from '../analyse/stageWork';
export { TIMING_PROBE_SECTION } from '../analyse/stageWork';

export async function runEstimateJob(req: JobRequest, opts: EstimateOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const stage = 'timing probe';
  hooks.onProgress?.({ stage, done: 0, total: 3 });
  const t0 = performance.now();
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const classifier = await Classifier.open(config, prepared.info, prepared.model);
  const setupSeconds = (performance.now() - t0) / 1000;
  try {
    const probe = await probePassCosts(prepared, data.samples, classifier, {
      K: opts.analyse.K,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      step: (done) => hooks.onProgress?.({ stage, done, total: 3 }),
    });
    const available = data.samples.length;
    const p = config.preprocessing;
    const shape = {
      height: p.height,
      width: p.width,
      numClasses: classifier.numClasses ?? data.dataset.classNames.length,
      batchSize: classifier.batchSize,
    };
    const counts = [...new Set([...opts.images.filter((k) => k < available), available])].sort((a, b) => a - b);
    const eotSamples = resolveEotSamples(opts.analyse, probe.gradientSeconds);
    // The sections analyse adds when cheap (analyse/extras.ts), decided as the run plan decides them.
    const choiceWork = (preset: AnalysePreset, images: number) => {
      const plan = planAnalyse({ ...opts.analyse, preset, eotSamples }, p, images);
      const plain = analyseWork(plan, shape, opts.analyse.K, probe.probeAccuracy);
      const extras = planExtras({
        runSeconds: runSecondsInForwardPasses(plain, probe.forwardSeconds),
        forwardSeconds: probe.forwardSeconds,
        images,
        height: p.height,
        width: p.width,
        budgetLeftSeconds: null,
        shard: Boolean(data.shard),
        frequencyAnalyses: opts.analyse.analyses?.spectra !== false,
        modelPath: prepared.model.path,
      });
      return [...analyseWork(plan, shape, opts.analyse.K, probe.probeAccuracy, probe.defendedFactors), ...extrasWork(extras)];
    };
    const choices: EstimateChoice[] = opts.presets.flatMap((preset) =>
      counts.map((images) => ({ preset, images, all: images === available, work: choiceWork(preset, images) })),
    );
    const section: TimingProbeSection = {
      kind: 'timing-probe',
      available,
      probeImages: probe.probeImages,
      probeAccuracy: probe.probeAccuracy,
      forwardSeconds: probe.forwardSeconds,
      gradientSeconds: probe.gradientSeconds,
      gradientUnavailable: probe.gradientUnavailable,
      defendedFactors: probe.defendedFactors,
      setupSeconds: setupSeconds + probe.gradientSetupSeconds,
      choices,
    };
    return buildReport({
      command: 'estimate',
      prepared,
      data,
      classifier,
      status: 'complete',
      sections: { [TIMING_PROBE_SECTION]: section },
    });
  } finally {
    await classifier.dispose();
  }
}
