/**
 * `invert`: feature inversion (spectral/featureInversion.ts) of one model, or of two side by side (e.g. a
 * natural and a robust one) on the same images and the same starts. Per model: its clean predictions, the
 * representation-loss model at the chosen tensor (grad/representationLoss.ts), projected gradient descent from
 * each image's x₀, the mean |DCT(x_r − x₀)| map and its low/mid/high shares, and a few x / x₀ / x_r PNGs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { encodePng } from '../attacks/gallery';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { EngineError, isEngineError } from '../errors';
import { gradientBuilderFor } from '../grad/forClassifier';
import { RepresentationModel } from '../grad/representationModel';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import { sessionOptionsFor } from '../runtime/modelSession';
import {
  INVERSION_DEFINITION,
  asMap,
  bandEdges,
  bandRanges,
  bandShares,
  defaultStepSize,
  invertRepresentation,
  meanAbsDct,
  startIndices,
  type InversionModelResult,
  type InversionSection,
} from '../spectral/featureInversion';
import { binForReport } from '../../protocol/reportMaps';
import { Rng } from '../util/random';
import { seedFor, seedRecord } from '../util/seeds';
import type { JobHooks } from './evalJob';
import { argmaxRows } from './fourierHeatmapJob';
import { prepareData, prepareModel, type JobRequest, type PreparedModel } from './prepare';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';

export type InvertOptions = JobOptionsByKind['invert'];

/** The decoded images are kept, with x₀ and x_r, for the whole run. */
const MAX_IMAGE_BYTES = 512 * 1024 * 1024;

function shapeOf(p: PreparedModel): [number, number, number] {
  const q = p.config.preprocessing;
  return [channelCount(q), q.height, q.width];
}

export async function runInvertJob(req: JobRequest, opts: InvertOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const primary = await prepareModel(req);
  const data = await prepareData(primary);
  const models: PreparedModel[] = [primary];
  if (opts.compareModelPath) {
    // The second model finds its own robustness.json; the flags given for this run apply to both.
    const { configPath: _ignored, ...rest } = req;
    const other = await prepareModel({ ...rest, modelPath: opts.compareModelPath });
    const [a, b] = [shapeOf(primary), shapeOf(other)];
    if (a.join() !== b.join())
      throw new EngineError(
        'USAGE',
        `invert --compare: ${other.model.path} takes ${b.join('×')} images, ${primary.model.path} ${a.join('×')}: both models must invert the same images`,
        { hint: 'compare two models of the same input shape (channels × height × width)' },
      );
    models.push(other);
  }
  const [channels, height, width] = shapeOf(primary);
  const per = channels * height * width;
  if (data.samples.length * per * 4 * 3 > MAX_IMAGE_BYTES)
    throw new EngineError(
      'USAGE',
      `invert keeps the images, their starts and inversions in memory: ${data.samples.length} images of ${channels}×${height}×${width} need ${Math.round((data.samples.length * per * 12) / 2 ** 20)} MB (at most ${MAX_IMAGE_BYTES / 2 ** 20} MB)`,
      { hint: 'sample fewer images with --limit N' },
    );

  const skipped: { relPath: string; error: string }[] = [];
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  const relPaths: string[] = [];
  for await (const batch of streamPixelBatches(
    data.samples,
    pixelSpecFor(primary.config.preprocessing),
    64,
    hooks.signal ? { signal: hooks.signal } : {},
  )) {
    for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
    chunks.push(batch.pixels);
    for (const s of batch.samples) {
      labels.push(s.label);
      relPaths.push(s.relPath);
    }
  }
  const count = labels.length;
  const pixels = new Float32Array(count * per);
  chunks.reduce((o, c) => (pixels.set(c, o), o + c.length), 0);
  const runSeed = primary.config.seed;
  const starts = startIndices(count, new Rng(seedFor(runSeed, 'invert/start')));
  const x0 = new Float32Array(count * per);
  for (let i = 0; i < count; i++) x0.set(pixels.subarray(starts[i] * per, (starts[i] + 1) * per), i * per);

  const edges = bandEdges(height, width);
  const settings = { steps: opts.steps, stepSize: opts.stepSize ?? defaultStepSize(per) };
  const section: InversionSection = {
    kind: 'inversion',
    definition: INVERSION_DEFINITION,
    params: {
      steps: settings.steps,
      stepSize: settings.stepSize,
      stepSizeSource: opts.stepSize === null ? 'default' : 'user',
      schedule: `cosine from α₀ = ${Number(settings.stepSize.toPrecision(4))} to α₀/100 over ${settings.steps} steps; normalised gradient, projected onto [0,1]`,
      images: count,
      channels,
      height,
      width,
      bands: bandRanges(edges),
      seed: seedFor(runSeed, 'invert/start'),
    },
    models: [],
  };
  const referenceMap = meanAbsDct(pixels, x0, count, channels, height, width);
  const referenceShares = bandShares(referenceMap, height, width, edges);
  const cleanTally = new CleanPredictionTally();
  let partial = false;
  let primaryClassifier: Classifier | null = null;
  try {
    for (const [m, prepared] of models.entries()) {
      if (hooks.signal?.aborted) {
        partial = true;
        break;
      }
      const started = performance.now();
      const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
      if (m === 0) primaryClassifier = classifier;
      let rep: RepresentationModel | null = null;
      try {
        const scores = await classifier.scores(pixels, count);
        if (m === 0) cleanTally.add(scores, labels, classifier.outputKind!.kind);
        const predicted = argmaxRows(scores, count, scores.length / count);
        const cleanAccuracy = predicted.reduce((a, k, i) => a + (k === labels[i] ? 1 : 0), 0) / count;
        const builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, classifier.numClasses ?? undefined);
        const tensor = builder.representation(opts.layer);
        rep = await RepresentationModel.open(builder, tensor, {
          ...sessionOptionsFor(prepared.config.runtime),
          maxBatch: prepared.config.runtime.batchSize,
          label: prepared.model.path,
        });
        const model = rep;
        const targets = (await model.compute(pixels, count, new Float32Array(count * tensor.size))).representation;
        const stage = `feature inversion of ${prepared.model.path} ("${tensor.name}", ${count} images)`;
        hooks.onProgress?.({ stage, done: 0, total: settings.steps, fraction: 0 });
        const result = await invertRepresentation(
          (x, n) => model.compute(x, n, targets),
          x0,
          count,
          settings,
          hooks.signal,
          (done) => hooks.onProgress?.({ stage, done, total: settings.steps, fraction: done / settings.steps }),
        );
        if (result.steps < settings.steps) partial = true;
        const norms = Float64Array.from({ length: count }, (_, i) => {
          let s = 0;
          for (let j = 0; j < tensor.size; j++) s += targets[i * tensor.size + j] ** 2;
          return Math.sqrt(s);
        });
        const rel = (loss: Float64Array) => Array.from(loss, (l, i) => (norms[i] > 0 ? Math.sqrt(l) / norms[i] : Math.sqrt(l)));
        const finalRel = rel(result.bestLoss);
        const sorted = [...finalRel].sort((a, b) => a - b);
        const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
        const distance = (a: Float32Array, b: Float32Array) =>
          mean(
            Array.from({ length: count }, (_, i) => {
              let s = 0;
              for (let j = i * per; j < (i + 1) * per; j++) s += (a[j] - b[j]) ** 2;
              return Math.sqrt(s);
            }),
          );
        const map = meanAbsDct(result.pixels, x0, count, channels, height, width);
        const examples = opts.outDir
          ? writeExamples(opts.outDir, m, Math.min(opts.examples, count), [channels, height, width], pixels, x0, result.pixels).map(
              (e, i) => ({
                ...e,
                relPath: relPaths[i],
                startRelPath: relPaths[starts[i]],
                relativeError: finalRel[i],
              }),
            )
          : [];
        const entry: InversionModelResult = {
          model: prepared.model.path,
          layer: tensor.name,
          layerSource: tensor.source,
          representationSize: tensor.size,
          cleanAccuracy,
          startRelativeError: mean(rel(result.startLoss)),
          relativeError: { mean: mean(finalRel), median: sorted[(count - 1) >> 1], max: sorted[count - 1] },
          trace: result.trace,
          stepsRun: result.steps,
          meanChange: distance(result.pixels, x0),
          meanDistance: distance(pixels, x0),
          map: binForReport(asMap(map, height, width)),
          shares: bandShares(map, height, width, edges),
          referenceShares,
          seconds: (performance.now() - started) / 1000,
          provider: model.provider,
          examples,
        };
        section.models.push(entry);
        hooks.onSection?.('inversion', { ...section, models: [...section.models] });
      } finally {
        await rep?.dispose();
        if (m > 0) await classifier.dispose();
      }
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) {
      await primaryClassifier?.dispose();
      throw e;
    }
    partial = true;
  }
  try {
    const evidence = cleanTally.evidence();
    const sanity = evidence.evaluated > 0 && primaryClassifier ? sanitySection(evidence, primary, data, primaryClassifier) : null;
    if (sanity) hooks.onSection?.('sanity', sanity);
    return buildReport({
      command: 'invert',
      prepared: primary,
      data,
      classifier: primaryClassifier,
      status: partial ? 'partial' : 'complete',
      skippedImages: skipped,
      sections: { inversion: section, ...(sanity ? { sanity } : {}) },
      seeds: seedRecord(runSeed, 'invert/start'),
      warnings: sanity ? sanityWarnings(sanity) : [],
    });
  } finally {
    await primaryClassifier?.dispose();
  }
}

/** x, x₀ and x_r of the first `n` images as PNGs under outDir/inversion/ (paths relative to outDir). */
function writeExamples(
  outDir: string,
  model: number,
  n: number,
  shape: [number, number, number],
  x: Float32Array,
  x0: Float32Array,
  xr: Float32Array,
): { target: string; start: string; inverted: string }[] {
  const [c, h, w] = shape;
  const per = c * h * w;
  mkdirSync(join(outDir, 'inversion'), { recursive: true });
  const write = (rel: string, data: Float32Array, i: number) => {
    writeFileSync(join(outDir, rel), encodePng(data.subarray(i * per, (i + 1) * per), c, h, w));
    return rel;
  };
  return Array.from({ length: n }, (_, i) => ({
    target: write(`inversion/image-${i}-x.png`, x, i),
    start: write(`inversion/image-${i}-x0.png`, x0, i),
    inverted: write(`inversion/model-${model}-image-${i}-xr.png`, xr, i),
  }));
}
