/**
 * A stage's progress by its model work. Its images cost unequally (a batch's attacks beside its defences;
 * pass 2's replayed attacks beside EOT re-attacks through post-averaging), so every message carries, besides
 * the images done (what people read), the share of the stage's work done and the passes the stage expects
 * as the engine now counts them: the ETA follows the work, not the image count.
 */
import type { Progress } from '../eval/cleanEval';
import { passWeight } from './passCounts';
import type { Passes } from './stageWork';

export class WorkProgress {
  private readonly totalWeight: number;
  /** Work done before the current batch, and the current batch's origin, size and expected work. */
  private doneBefore = 0;
  private batch = { before: 0, count: 0, weight: 0, done: 0 };

  constructor(
    private readonly send: (p: Progress) => void,
    private readonly stage: string,
    private readonly images: number,
    /** The whole stage's passes, as counted at its start. */
    private readonly expected: Passes,
  ) {
    this.totalWeight = passWeight(expected);
    this.emit(0);
  }

  /** A batch of `count` images begins after `before` images; `work` is what it is expected to cost. */
  startBatch(before: number, count: number, work: Passes): void {
    this.batch = { before, count, weight: passWeight(work), done: 0 };
  }

  /** A part of the current batch is done, having cost `work` (as counted). */
  advance(work: Passes): void {
    this.batch.done = Math.min(this.batch.weight, this.batch.done + passWeight(work));
    this.partBegins();
  }

  /** A part of the current batch begins: the state again, so a cancel that answers it lands inside the part. */
  partBegins(): void {
    const within = this.batch.weight > 0 ? this.batch.done / this.batch.weight : 0;
    this.emit(this.batch.before + Math.floor(this.batch.count * within));
  }

  /** The current batch is done: all of its expected work counts as done. */
  endBatch(): void {
    this.doneBefore += this.batch.weight;
    this.batch = { before: this.batch.before + this.batch.count, count: 0, weight: 0, done: 0 };
    this.emit(this.batch.before);
  }

  private emit(imagesDone: number): void {
    const done = this.doneBefore + this.batch.done;
    const fraction = this.totalWeight > 0 ? Math.min(1, done / this.totalWeight) : imagesDone >= this.images ? 1 : 0;
    this.send({ stage: this.stage, done: Math.min(imagesDone, this.images), total: this.images, fraction, expected: this.expected });
  }
}
