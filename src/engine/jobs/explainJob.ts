/**
 * `explain`: Occluded Frequency attribution of one image — which DCT bands the model's decision rests on —
 * optionally for two models side by side (e.g. before and after a change). Forward passes only, so it works
 * for models whose gradient is unavailable.
 */
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { decodeImage } from '../data/decodeImage';
import { channelCount, rasterToPixels } from '../data/pixels';
import { EngineError, isEngineError } from '../errors';
import { pixelSpecFor } from '../input/pixelSpec';
import { Classifier } from '../runtime/classifier';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import type { OccludedFrequencyModel, OccludedFrequencySection } from '../report/sections';
import { Rng } from '../util/random';
import {
  OCCLUDED_FREQUENCY_DEFINITION,
  OccludedFrequencyAggregator,
  bandCount,
  groupCount,
  occludedFrequency,
  occludedFrequencyGroupNote,
} from '../spectral/occludedFrequency';
import type { JobHooks } from './evalJob';
import { prepareModel, type JobRequest, type PreparedModel } from './prepare';
import { ofRowsPerCall, writeOfOriginal, writeOfPreviews } from './ofPreviews';
import { rowProbabilities } from '../eval/scores';

/** Declared once, with its runtime check, in src/protocol/jobKinds.ts. */
export type ExplainOptions = JobOptionsByKind['explain'];

export async function runExplainJob(req: JobRequest, opts: ExplainOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const imagePath = resolve(opts.imagePath);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(imagePath);
  } catch (e) {
    throw new EngineError(
      'FILE_NOT_FOUND',
      `${imagePath}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { file: imagePath },
    );
  }
  const raster = decodeImage(bytes, imagePath);
  const primary = await prepareModel(req);
  const models: PreparedModel[] = [primary];
  if (opts.compareModelPath) {
    // The second model finds its own robustness.json; the flags given for this run apply to both.
    const { configPath: _ignored, ...rest } = req;
    models.push(await prepareModel({ ...rest, modelPath: opts.compareModelPath }));
  }
  const notes: string[] = [];
  const seed = primary.config.seed + 104729;
  const results: OccludedFrequencyModel[] = [];
  const group = opts.bandGroup ?? 1;
  let bands = 0;
  let scoreOnAll: 'logits' | 'log-probabilities' = 'logits';
  let firstClassifier: Classifier | null = null;
  let partial = false;
  try {
    for (const [m, prepared] of models.entries()) {
      if (hooks.signal?.aborted) {
        partial = true;
        break;
      }
      const p = prepared.config.preprocessing;
      const spec = pixelSpecFor(p);
      if (raster.width !== p.width || raster.height !== p.height) {
        if (spec.resize === 'none') spec.resize = 'stretch';
        notes.push(
          `${basename(prepared.model.path)}: the image is ${raster.width}×${raster.height}; it was resized (${spec.resize}, ${spec.filter}) to the model's ${p.width}×${p.height}`,
        );
      }
      const pixels = rasterToPixels(raster, spec, imagePath);
      const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
      try {
        const shape: [number, number, number] = [channelCount(p), p.height, p.width];
        bands = bandCount(p.height, p.width);
        const groups = groupCount(bands, Math.min(group, bands));
        // The output kind is decided by a first forward pass when the graph does not say; its row gives the
        // confidence, turned into probabilities at once (before the next call can reuse the output buffer).
        const cleanRow = await classifier.scores(pixels, 1);
        const outputKind = classifier.outputKind?.kind ?? 'logits';
        const cleanProbabilities = rowProbabilities(cleanRow, outputKind);
        const scoreOn = outputKind === 'probabilities' ? 'log-probabilities' : 'logits';
        scoreOnAll = scoreOn;
        hooks.onProgress?.({ stage: `occluded frequency (${basename(prepared.model.path)})`, done: m, total: models.length });
        const of = await occludedFrequency(pixels, 1, shape, (x, n) => classifier.scores(x, n), {
          baseline: opts.baseline,
          scoreOn,
          maxBatch: ofRowsPerCall(classifier.batchSize, groups, classifier.pixelsPerSample),
          rng: new Rng(seed),
          bandGroup: Math.min(group, bands),
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        }).catch((e: unknown) => {
          if (isEngineError(e) && e.code === 'CANCELLED') return null;
          throw e;
        });
        // Cancelled: the models explained so far make a partial report.
        if (!of) {
          partial = true;
          break;
        }
        const [r] = of;
        const classes = classifier.numClasses ?? 0;
        const agg = new OccludedFrequencyAggregator(groups, classes);
        const label = labelFromPath(imagePath, prepared.config.classNames);
        agg.add(label ?? r.predicted, r.scores, r.flips);
        const confidence = cleanProbabilities[r.predicted];
        results.push({
          model: prepared.model.path,
          images: [
            {
              relPath: basename(imagePath),
              label: label ?? -1,
              predicted: r.predicted,
              cleanLogit: r.cleanLogit,
              scores: r.scores,
              flips: r.flips,
              confidence,
              file: imagePath,
              ...(opts.outDir
                ? {
                    original: writeOfOriginal(opts.outDir, `${m}`, pixels, shape),
                    previews: writeOfPreviews(opts.outDir, `${m}`, pixels, shape, r.scores, opts.baseline, seed, Math.min(group, bands)),
                  }
                : {}),
            },
          ],
          perClass: agg.perClass(),
          mean: agg.mean(),
          flipRate: agg.flipRate(),
        });
      } finally {
        if (m === 0) firstClassifier = classifier;
        else await classifier.dispose();
      }
    }
    const sectionGroup = Math.min(group, bands || 1);
    const section: OccludedFrequencySection = {
      kind: 'occluded-frequency',
      bands,
      // Absent for single bands: such reports stay as they were.
      ...(sectionGroup > 1 ? { bandGroup: sectionGroup } : {}),
      baseline: opts.baseline,
      definition:
        sectionGroup > 1 ? OCCLUDED_FREQUENCY_DEFINITION + occludedFrequencyGroupNote(sectionGroup) : OCCLUDED_FREQUENCY_DEFINITION,
      seed: opts.baseline === 'noise' ? seed : null,
      scoreOn: scoreOnAll,
      models: results,
    };
    if (results.length) hooks.onSection?.('occludedFrequency', section);
    return buildReport({
      command: 'explain',
      prepared: primary,
      data: null,
      classifier: firstClassifier,
      status: partial ? 'partial' : 'complete',
      skippedImages: [],
      sections: results.length ? { occludedFrequency: section } : {},
      seeds: { occludedFrequency: seed },
      warnings: notes,
    });
  } finally {
    await firstClassifier?.dispose();
  }
}

/** The class of an image inside an ImageFolder tree (its parent folder's name), when the names are known. */
function labelFromPath(path: string, classNames: string[] | null): number | null {
  if (!classNames) return null;
  const parent = basename(resolve(path, '..'));
  const i = classNames.indexOf(parent);
  return i >= 0 ? i : null;
}
