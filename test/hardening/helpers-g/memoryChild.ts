/**
 * Run in a child process (never in the test runner, whose memory is shared by every test), prints one JSON
 * line on stdout:
 *   eval <model> <images> <limit> <batchSize> <checkpoint…> → RSS after each checkpoint of images evaluated
 *   load <model> → whether the model opened and answered one forward pass, or the engine's message
 * Both report the peak RSS (getrusage maxRSS) and the seconds taken.
 */
import { performance } from 'node:perf_hooks';
import { runEvalJob } from '../../../src/engine/jobs/evalJob';
import { prepareModel } from '../../../src/engine/jobs/prepare';
import { Classifier } from '../../../src/engine/runtime/classifier';
import { errorText, isEngineError } from '../../../src/engine/errors';

const MiB = 1024 * 1024;
const peakMiB = () => process.resourceUsage().maxRSS / 1024;

async function evalRss(model: string, images: string, limit: number, batchSize: number, checkpoints: number[]): Promise<object> {
  const rss: Record<string, number> = {};
  const t0 = performance.now();
  const report = await runEvalJob(
    {
      modelPath: model,
      overrides: { images, limit, runtime: { executionProvider: 'cpu', threads: 2, batchSize } },
    },
    {
      onProgress: (p) => {
        for (const c of checkpoints) if (p.done >= c && rss[c] === undefined) rss[c] = process.memoryUsage().rss / MiB;
      },
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    evaluated: report.sections.clean!.evaluated,
    seconds,
    imagesPerSecond: report.sections.clean!.evaluated / seconds,
    rssMiB: rss,
    peakMiB: peakMiB(),
  };
}

async function load(model: string): Promise<object> {
  const t0 = performance.now();
  try {
    const prepared = await prepareModel({
      modelPath: model,
      overrides: { runtime: { executionProvider: 'cpu', threads: 2, batchSize: 4 } },
    });
    const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
    try {
      const scores = await classifier.scores(new Float32Array(classifier.pixelsPerSample).fill(0.5), 1);
      return { ok: true, classes: scores.length, seconds: (performance.now() - t0) / 1000, peakMiB: peakMiB() };
    } finally {
      await classifier.dispose();
    }
  } catch (e) {
    return {
      ok: false,
      code: isEngineError(e) ? e.code : 'INTERNAL',
      message: errorText(e),
      seconds: (performance.now() - t0) / 1000,
      peakMiB: peakMiB(),
    };
  }
}

const [mode, model, ...rest] = process.argv.slice(2);
const work = mode === 'eval' ? evalRss(model, rest[0], Number(rest[1]), Number(rest[2]), rest.slice(3).map(Number)) : load(model);
work.then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (e: unknown) => {
    process.stderr.write(`${errorText(e)}\n`);
    process.exitCode = 1;
  },
);
