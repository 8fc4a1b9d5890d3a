/**
 * The sections analyse adds when cheap (analyse/extras.ts decides, the run plan records why): the Fourier heat
 * map of the model and the fast randomized-smoothing certification, computed by the standalone commands' own
 * cores after pass 2, each published under the standalone command's section name (the same renderers show it).
 * A cancel or the budget's stop inside one marks the run partial and keeps what finished.
 */
import type { PixelBatch } from '../../data/batches';
import type { DatasetSample } from '../../data/dataset';
import { computeFourierHeatmap, fourierModels } from '../../jobs/fourierHeatmapCore';
import { certifyImages, samplesPerCall } from '../../jobs/certifyJob';
import type { RunPlanExtra } from '../../report/sections';
import { DEFAULT_MAX_SIDE } from '../../spectral/fourierHeatmap';
import { seedRecord } from '../../util/seeds';
import { analyseBatches } from '../analyseBatches';
import type { AnalyseContext } from '../context';
import { ANALYSE_CERTIFY, EXTRA_STAGES } from '../extras';

/** Runs the included sections; true when one was cut short (cancel, budget). */
export async function runExtras(ctx: AnalyseContext, extras: readonly RunPlanExtra[]): Promise<boolean> {
  let partial = false;
  const renamed = (stage: string) => ({
    ...ctx.signalOpt,
    onProgress: (p: { stage: string; done: number; total: number; fraction?: number }) => ctx.hooks.onProgress?.({ ...p, stage }),
  });
  for (const e of extras) {
    if (e.decision === 'left out' || partial || ctx.hooks.signal?.aborted) continue;
    if (e.section === 'fourier-heatmap') {
      const { pixels, labels } = await decode(ctx, ctx.data.samples);
      const r = await computeFourierHeatmap(
        {
          pixels,
          labels,
          height: ctx.H,
          width: ctx.W,
          channels: ctx.C,
          epsilon: null,
          maxSide: DEFAULT_MAX_SIDE,
          minStride: e.stride ?? 1,
          runSeed: ctx.runSeed,
          models: fourierModels(ctx.classifier, ctx.prepared.config.preprocessing, [], null, ctx.runSeed),
        },
        { ...renamed(EXTRA_STAGES.fourier), onSection: (s) => ctx.section('fourierHeatmap', s) },
      );
      ctx.section('fourierHeatmap', r.section);
      Object.assign(ctx.seeds, seedRecord(ctx.runSeed, 'fourier/sign'));
      partial ||= r.partial;
    } else {
      const samples = ctx.data.samples.slice(0, e.images);
      const config = ctx.prepared.config;
      const per = ctx.C * ctx.H * ctx.W;
      const r = await certifyImages(
        {
          classifier: ctx.classifier,
          batches: batchesOf(ctx, samples),
          total: samples.length,
          indexOf: (sample, from) => samples.indexOf(sample, from),
          opts: ANALYSE_CERTIFY,
          runSeed: ctx.runSeed,
          batch: samplesPerCall(config.runtime.batchSize, config.provenance['runtime.batchSize'] === 'default', per),
        },
        { ...renamed(EXTRA_STAGES.certify), onSection: (s) => ctx.section('certification', s) },
      );
      ctx.section('certification', r.section);
      Object.assign(ctx.seeds, seedRecord(ctx.runSeed, 'certify/noise'));
      partial ||= r.partial;
    }
  }
  return partial;
}

async function* batchesOf(ctx: AnalyseContext, samples: DatasetSample[]): AsyncGenerator<PixelBatch> {
  for await (const { batch } of analyseBatches(ctx, samples)) yield batch;
}

/** The images decoded once more (the passes drop their batches), in sample order. */
async function decode(ctx: AnalyseContext, samples: DatasetSample[]): Promise<{ pixels: Float32Array; labels: number[] }> {
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  for await (const { batch } of analyseBatches(ctx, samples)) {
    chunks.push(batch.pixels);
    for (const s of batch.samples) labels.push(s.label);
  }
  const pixels = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((o, c) => (pixels.set(c, o), o + c.length), 0);
  return { pixels, labels };
}
