/**
 * A start message → the engine job it names. The jobs are imported on first use: they load
 * onnxruntime-node, so a broken native runtime fails that run with a message instead of the whole process.
 */
import { EngineError } from '../engine/errors';
import type { JobRunner } from './jobQueue';

async function load<T>(importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (e) {
    throw new EngineError('RUNTIME', `the engine could not load its runtime (onnxruntime-node): ${(e as Error).message}`, {
      hint: 'reinstall the extension for this platform (the .vsix must match the operating system and CPU)', cause: e,
    });
  }
}

export const runJob: JobRunner = async (start, hooks) => {
  switch (start.kind) {
    case 'eval': {
      const { runEvalJob } = await load(() => import('../engine/jobs/evalJob'));
      return runEvalJob(start.request, hooks);
    }
    case 'attack': {
      const { runAttackJob } = await load(() => import('../engine/jobs/attackJob'));
      return runAttackJob(start.request, start.options, hooks);
    }
    case 'analyse': {
      const { runAnalyseJob } = await load(() => import('../engine/jobs/analyseJob'));
      return runAnalyseJob(start.request, start.options, hooks);
    }
    case 'explain': {
      const { runExplainJob } = await load(() => import('../engine/jobs/explainJob'));
      return runExplainJob(start.request, start.options, hooks);
    }
  }
};
