/**
 * `fourier-heatmap`: the Fourier heat map (spectral/fourierHeatmap.ts) of the model and of the defended models
 * (post-averaging, low-pass: both by default for images up to 64×64, else only with --defence or --cutoff),
 * over the sampled images. The images are decoded once and kept; the maps are computed by
 * fourierHeatmapCore.ts (shared with analyse). A cancel keeps every finished cell and marks the report partial.
 */
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { EngineError } from '../errors';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import { seedRecord } from '../util/seeds';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest } from './prepare';
import { computeFourierHeatmap, fourierDefences, fourierModels } from './fourierHeatmapCore';

export { argmaxRows, perturbWithBasis } from './fourierHeatmapCore';

export type FourierHeatmapOptions = JobOptionsByKind['fourier-heatmap'];

/** The decoded images are kept for the whole run. */
const MAX_IMAGE_BYTES = 1024 * 1024 * 1024;

export async function runFourierHeatmapJob(req: JobRequest, opts: FourierHeatmapOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const prepared = await prepareModel(req);
  const data = await prepareData(prepared);
  const { config } = prepared;
  const p = config.preprocessing;
  const channels = channelCount(p);
  const plane = p.height * p.width;
  const per = channels * plane;
  if (data.samples.length * per * 4 > MAX_IMAGE_BYTES)
    throw new EngineError(
      'USAGE',
      `fourier-heatmap keeps the decoded images in memory: ${data.samples.length} images of ${channels}×${p.height}×${p.width} need ${Math.round((data.samples.length * per * 4) / 2 ** 20)} MB (at most ${MAX_IMAGE_BYTES / 2 ** 20} MB)`,
      { hint: 'sample fewer images with --limit N' },
    );
  const classifier = await Classifier.open(config, prepared.info, prepared.model);
  try {
    const models = fourierModels(classifier, p, fourierDefences(opts.defences, opts.cutoff, p), opts.cutoff, config.seed);

    // Decode every image once.
    const skipped: { relPath: string; error: string }[] = [];
    const chunks: Float32Array[] = [];
    const labels: number[] = [];
    for await (const batch of streamPixelBatches(data.samples, pixelSpecFor(p), 64, hooks.signal ? { signal: hooks.signal } : {})) {
      for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
      chunks.push(batch.pixels);
      for (const s of batch.samples) labels.push(s.label);
    }
    const pixels = new Float32Array(labels.length * per);
    chunks.reduce((o, c) => (pixels.set(c, o), o + c.length), 0);

    const started = performance.now();
    const cleanTally = new CleanPredictionTally();
    let result;
    try {
      result = await computeFourierHeatmap(
        {
          pixels,
          labels,
          height: p.height,
          width: p.width,
          channels,
          epsilon: opts.epsilon,
          maxSide: opts.maxSide,
          runSeed: config.seed,
          models,
          // The plain model's clean predictions are checked as every run's are (class order, preprocessing).
          onCleanScores: (scores) => cleanTally.add(scores, labels, classifier.outputKind!.kind),
        },
        {
          ...(hooks.signal ? { signal: hooks.signal } : {}),
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          onSection: (s) => hooks.onSection?.('fourierHeatmap', s),
        },
      );
    } finally {
      prepared.timings.fourierHeatmap = (performance.now() - started) / 1000;
    }
    const final = result.section;
    hooks.onSection?.('fourierHeatmap', final);
    const evidence = cleanTally.evidence();
    const sanity = evidence.evaluated > 0 ? sanitySection(evidence, prepared, data, classifier) : null;
    if (sanity) hooks.onSection?.('sanity', sanity);
    const defended = models.some((m) => m.kind === 'post-averaging');
    return buildReport({
      command: 'fourier-heatmap',
      prepared,
      data,
      classifier,
      status: result.partial ? 'partial' : 'complete',
      skippedImages: skipped,
      sections: { fourierHeatmap: final, ...(sanity ? { sanity } : {}) },
      seeds: { ...seedRecord(config.seed, 'fourier/sign'), ...(defended ? seedRecord(config.seed, 'fourier/post-averaging') : {}) },
      warnings: sanity ? sanityWarnings(sanity) : [],
    });
  } finally {
    await classifier.dispose();
  }
}
