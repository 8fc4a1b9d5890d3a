/**
 * One batch of pass 1 as the defences see it: the clean images and every attack's successful adversarial
 * examples stacked in one array, so each defence configuration classifies them in one call.
 */
import type { SuiteBatch } from '../jobs/attackSuite';
import { correctness, type DefenceTally } from './tally';

type Correctness = { top1: boolean[]; top5: boolean[] };

/**
 * Successful adversarial examples of every attack of a batch, stacked, with per-attack index maps (batch
 * image → row, −1 where not in #Adv) and the undefended model's scores of each row (computed by the suite).
 */
export interface StackedAdversarial {
  pixels: Float32Array;
  labels: number[];
  maps: number[][];
  scores: Float32Array;
}

export function stackAdversarial(sb: SuiteBatch, per: number): StackedAdversarial {
  const rows: Float32Array[] = [];
  const rowScores: Float32Array[] = [];
  const labels: number[] = [];
  const maps = sb.attacks.map((r) => {
    const map = new Array<number>(sb.count).fill(-1);
    r.attacked.forEach((i, k) => {
      if (!r.success[k]) return;
      map[i] = labels.length;
      rows.push(r.adversarial.subarray(k * per, (k + 1) * per));
      rowScores.push(r.scores.subarray(k * sb.classes, (k + 1) * sb.classes));
      labels.push(sb.labels[i]);
    });
    return map;
  });
  const pixels = new Float32Array(rows.length * per);
  rows.forEach((r, j) => pixels.set(r, j * per));
  const scores = new Float32Array(rowScores.length * sb.classes);
  rowScores.forEach((r, j) => scores.set(r, j * sb.classes));
  return { pixels, labels, maps, scores };
}

export class DefenceBatch {
  /** Clean images, then the stacked adversarial examples. */
  readonly pixels: Float32Array;
  readonly labels: number[];
  private readonly count: number;
  private readonly maps: number[][];
  private readonly clean: Correctness;
  private readonly adversarial: Correctness;

  constructor(sb: SuiteBatch) {
    const per = sb.pixels.length / sb.count;
    const adv = stackAdversarial(sb, per);
    this.count = sb.count;
    this.maps = adv.maps;
    this.clean = correctness(sb.cleanScores, sb.labels);
    this.adversarial = correctness(adv.scores, adv.labels);
    this.pixels = new Float32Array(sb.pixels.length + adv.pixels.length);
    this.pixels.set(sb.pixels);
    this.pixels.set(adv.pixels, sb.pixels.length);
    this.labels = [...sb.labels, ...adv.labels];
  }

  get rows(): number {
    return this.labels.length;
  }

  /** Counts a configuration's scores of `pixels` into its tallies, one per attack. */
  tally(tallies: DefenceTally[], defendedScores: Float32Array): void {
    const c = correctness(defendedScores, this.labels);
    const defClean = { top1: c.top1.slice(0, this.count), top5: c.top5.slice(0, this.count), predicted: c.predicted.slice(0, this.count) };
    const defAdv = { top1: c.top1.slice(this.count), top5: c.top5.slice(this.count), predicted: c.predicted.slice(this.count) };
    tallies.forEach((t, a) => t.add(this.clean, defClean, this.maps[a], this.adversarial, defAdv));
  }
}
