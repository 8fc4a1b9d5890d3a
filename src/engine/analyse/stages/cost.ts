/** Stage "cost", pass 2: each defence's inference time per image against the plain model's, on the same clean batches. */
import type { DefenceCost } from '../../report/sections';

export interface CostSums {
  plainMs: number;
  defendedMs: number;
  images: number;
}

export class CostMeter {
  private plainMs = 0;
  private defendedMs = 0;
  private images = 0;

  /** One batch: the plain pass's and the defended pass's milliseconds on the same `count` images. */
  add(plainMs: number, defendedMs: number, count: number): void {
    this.plainMs += plainMs;
    this.defendedMs += defendedMs;
    this.images += count;
  }

  /** The sums behind the result (a shard's report carries them; `merge` adds them up). */
  sums(): CostSums {
    return { plainMs: this.plainMs, defendedMs: this.defendedMs, images: this.images };
  }

  addSums(s: CostSums): void {
    this.add(s.plainMs, s.defendedMs, s.images);
  }

  result(batchSize: number): DefenceCost | null {
    if (!this.images) return null;
    return {
      relativeCost: this.defendedMs / this.plainMs,
      plainImagesPerSecond: (1000 * this.images) / this.plainMs,
      defendedImagesPerSecond: (1000 * this.images) / this.defendedMs,
      batchSize,
    };
  }
}
