/**
 * A start message → the engine job it names. The jobs are imported on first use: they load
 * onnxruntime-node, so a broken native runtime fails that run with a message instead of the whole process.
 */
import { EngineError } from '../engine/errors';
import type { JobHooks } from '../engine/jobs/evalJob';
import type { ReportV1 } from '../engine/report/schema';
import type { JobKind, StartMessage } from '../protocol/engineMessages';
import type { JobRunner } from './jobQueue';

async function load<T>(importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (e) {
    throw new EngineError('RUNTIME', `the engine could not load its runtime (onnxruntime-node): ${(e as Error).message}`, {
      hint: 'reinstall the extension for this platform (the .vsix must match the operating system and CPU)',
      cause: e,
    });
  }
}

/** A job kind's engine job, loaded on first use; it gets the start message of its own kind. */
type JobLoader<K extends JobKind> = (start: Extract<StartMessage, { kind: K }>, hooks: JobHooks) => Promise<ReportV1>;

/** One loader per job kind (a kind missing here fails to compile). */
const JOB_LOADERS: { [K in JobKind]: JobLoader<K> } = {
  eval: async (start, hooks) => (await load(() => import('../engine/jobs/evalJob'))).runEvalJob(start.request, hooks),
  attack: async (start, hooks) => (await load(() => import('../engine/jobs/attackJob'))).runAttackJob(start.request, start.options, hooks),
  analyse: async (start, hooks) =>
    (await load(() => import('../engine/jobs/analyseJob'))).runAnalyseJob(start.request, start.options, hooks),
  estimate: async (start, hooks) =>
    (await load(() => import('../engine/jobs/estimateJob'))).runEstimateJob(start.request, start.options, hooks),
  explain: async (start, hooks) =>
    (await load(() => import('../engine/jobs/explainJob'))).runExplainJob(start.request, start.options, hooks),
  certify: async (start, hooks) =>
    (await load(() => import('../engine/jobs/certifyJob'))).runCertifyJob(start.request, start.options, hooks),
  'fourier-heatmap': async (start, hooks) =>
    (await load(() => import('../engine/jobs/fourierHeatmapJob'))).runFourierHeatmapJob(start.request, start.options, hooks),
  checkpoints: async (start, hooks) =>
    (await load(() => import('../engine/jobs/checkpointsJob'))).runCheckpointsJob(start.request, start.options, hooks),
  invert: async (start, hooks) => (await load(() => import('../engine/jobs/invertJob'))).runInvertJob(start.request, start.options, hooks),
  // Never loads onnxruntime-node: the model view works even where the native runtime does not.
  info: async (start, hooks) => (await import('../engine/jobs/infoJob')).runInfoJob(start.request, hooks),
};

export const runJob: JobRunner = (start, hooks) => (JOB_LOADERS[start.kind] as JobLoader<JobKind>)(start, hooks);
