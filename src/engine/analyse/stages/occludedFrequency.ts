/**
 * Stage "occludedFrequency", pass 1: the first images of the run are explained band by band (DCT bands
 * ablated one at a time, or in groups of the plan's ofBandGroup adjacent bands); previews of the first few are
 * written beside the report.
 */
import {
  OCCLUDED_FREQUENCY_DEFINITION,
  OccludedFrequencyAggregator,
  bandCount,
  groupCount,
  occludedFrequency,
  occludedFrequencyGroupNote,
} from '../../spectral/occludedFrequency';
import type { OccludedFrequencyImage, OccludedFrequencySection } from '../../report/sections';
import { Rng } from '../../util/random';
import { seedFor, seedRecord } from '../../util/seeds';
import { ofRowsPerCall, writeOfOriginal, writeOfPreviews } from '../../jobs/ofPreviews';
import type { BatchStage, BatchStageModule } from '../batchStage';
import type { AnalyseContext } from '../context';

const OF_PREVIEW_IMAGES = 3;

export function startOccludedFrequencyStage(ctx: AnalyseContext): BatchStage {
  const { classifier, C, H, W, runSeed } = ctx;
  const { ofImages: limit, ofBaseline: baseline, ofBandGroup: bandGroup } = ctx.plan;
  const enabled = ctx.plan.analyses.occludedFrequency;
  const bands = bandCount(H, W);
  const groups = groupCount(bands, bandGroup);
  const aggregate = new OccludedFrequencyAggregator(groups, classifier.numClasses ?? ctx.classNames.length);
  const images: OccludedFrequencyImage[] = [];
  const seed = seedFor(runSeed, 'frequency/occluded-frequency');
  // Recorded whether or not the stage runs, as reports always have.
  ctx.seeds.occludedFrequency = seed;
  const rng = new Rng(seed);
  const scoreOn = classifier.outputKind?.kind === 'probabilities' ? 'log-probabilities' : 'logits';
  const per = classifier.pixelsPerSample;
  const shard = ctx.data.shard;
  const position = shard ? new Map(shard.relPaths.map((p, r) => [p, shard.images[r]])) : null;
  return {
    async onBatch({ samples, pixels }) {
      if (!enabled || images.length >= limit) return;
      // A shard explains its images among the whole sample's first `limit` (positions ascend, so a prefix of the
      // batch), each under its whole-sample index: the shards' images and previews are the unsharded run's.
      const n = position ? samples.filter((s) => position.get(s.relPath)! < limit).length : Math.min(samples.length, limit - images.length);
      if (n === 0) return;
      const results = await occludedFrequency(pixels.subarray(0, n * per), n, [C, H, W], (x, m) => classifier.scores(x, m), {
        baseline,
        scoreOn,
        maxBatch: ofRowsPerCall(classifier.batchSize, groups, per),
        rng,
        bandGroup,
        ...ctx.signalOpt,
      });
      results.forEach((r, i) => {
        const s = samples[i];
        aggregate.add(s.label, r.scores, r.flips);
        const img: OccludedFrequencyImage = {
          relPath: s.relPath,
          label: s.label,
          predicted: r.predicted,
          cleanLogit: r.cleanLogit,
          scores: r.scores,
          flips: r.flips,
        };
        const index = position ? position.get(s.relPath)! : images.length;
        if (ctx.opts.outDir && index < OF_PREVIEW_IMAGES) {
          const stem = String(index).padStart(2, '0');
          img.original = writeOfOriginal(ctx.opts.outDir, stem, pixels.subarray(i * per, (i + 1) * per), [C, H, W]);
          img.previews = writeOfPreviews(
            ctx.opts.outDir,
            stem,
            pixels.subarray(i * per, (i + 1) * per),
            [C, H, W],
            r.scores,
            baseline,
            seedFor(runSeed, 'frequency/occluded-frequency/preview', index),
            bandGroup,
          );
        }
        images.push(img);
      });
    },
    publish() {
      if (!enabled || aggregate.count === 0) return;
      if (ctx.opts.outDir && baseline === 'noise') Object.assign(ctx.seeds, seedRecord(runSeed, 'frequency/occluded-frequency/preview'));
      ctx.section('occludedFrequency', {
        kind: 'occluded-frequency',
        bands,
        // Absent for g = 1: such reports stay as they were.
        ...(bandGroup > 1 ? { bandGroup } : {}),
        baseline,
        definition: bandGroup > 1 ? OCCLUDED_FREQUENCY_DEFINITION + occludedFrequencyGroupNote(bandGroup) : OCCLUDED_FREQUENCY_DEFINITION,
        seed: baseline === 'noise' ? seed : null,
        scoreOn,
        models: [
          {
            model: ctx.prepared.model.path,
            images,
            perClass: aggregate.perClass(),
            mean: aggregate.mean(),
            flipRate: aggregate.flipRate(),
          },
        ],
      } satisfies OccludedFrequencySection);
    },
  };
}

export const occludedFrequencyStage: BatchStageModule = {
  plan: ({ analyses, images, ofImages }) => ({
    stage: 'occludedFrequency',
    skipped: analyses.occludedFrequency ? null : 'not asked for',
    sizes: { images: Math.min(images, ofImages) },
  }),
  start: startOccludedFrequencyStage,
};
