/** The analyse passes' one way of walking images: the run's pixel batches with the images-done count progress reports. */
import { streamPixelBatches, type PixelBatch } from '../data/batches';
import type { DatasetSample } from '../data/dataset';
import { pixelSpecFor } from '../input/pixelSpec';
import type { AnalyseContext } from './context';

export interface CountedBatch {
  batch: PixelBatch;
  /** Images of the batch that decoded (`batch.samples.length`, never 0). */
  count: number;
  /** Images done (decoded or failed) before this batch, and after it. */
  before: number;
  done: number;
}

/**
 * Streams `samples` in the classifier's batches, counting from `startDone`; a batch whose every image failed
 * to decode still counts as done but is not yielded.
 */
export async function* analyseBatches(ctx: AnalyseContext, samples: DatasetSample[], startDone = 0): AsyncGenerator<CountedBatch> {
  let done = startDone;
  const spec = pixelSpecFor(ctx.prepared.config.preprocessing);
  for await (const batch of streamPixelBatches(samples, spec, ctx.classifier.batchSize, ctx.signalOpt)) {
    const count = batch.samples.length;
    const before = done;
    done += count + batch.failed.length;
    if (count > 0) yield { batch, count, before, done };
  }
}
