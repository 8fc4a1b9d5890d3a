/**
 * Child-process side of runIsolated(): opens each model it is sent as a Classifier and scores a fixed
 * batch, printing one JSON line per job. It runs apart from the test process because onnxruntime is
 * native code: a model that made it abort must fail one job, not the test run.
 */
import { createInterface } from 'node:readline';
import { resolveRunConfig, type ConfigOverrides } from '../../../src/engine/config/runConfig';
import { isEngineError } from '../../../src/engine/errors';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { describeModel } from '../../../src/engine/onnx/modelInfo';
import { Classifier } from '../../../src/engine/runtime/classifier';
import type { SessionJob, SessionOutcome } from './isolated';

async function run(job: SessionJob): Promise<SessionOutcome> {
  try {
    const model = await loadModel(job.modelPath);
    const info = describeModel(model);
    const config = resolveRunConfig(job.modelPath, info, null, job.overrides as ConfigOverrides);
    const classifier = await Classifier.open(config, info, model);
    try {
      if (!job.pixels) return { ok: true, scores: [], kind: null, decidedBy: null };
      const count = job.pixels.length / classifier.pixelsPerSample;
      const scores = await classifier.scores(Float32Array.from(job.pixels), count);
      return {
        ok: true,
        scores: Array.from(scores),
        kind: classifier.outputKind?.kind ?? null,
        decidedBy: classifier.outputKind?.decidedBy ?? null,
      };
    } finally {
      await classifier.dispose();
    }
  } catch (e) {
    return isEngineError(e)
      ? { ok: false, code: e.code, message: e.message }
      : { ok: false, code: 'NOT_ENGINE_ERROR', message: String((e as Error)?.stack ?? e) };
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  void (async () => {
    const job = JSON.parse(line) as SessionJob;
    process.stdout.write(`${JSON.stringify({ start: job.id })}\n`);
    const outcome = await run(job);
    process.stdout.write(`${JSON.stringify({ id: job.id, outcome })}\n`);
  })();
});
