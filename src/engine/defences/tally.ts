/**
 * The post-averaging papers' protocol for a defence, accumulated batch by batch. Clean set = the evaluated
 * images; Attacked set = each correctly classified image replaced by its adversarial example where the
 * attack succeeded. Defence rate = adversarial examples (in the Attacked set) that the defended model
 * classifies correctly under the criterion ÷ all adversarial examples (#Adv).
 */
import type { Criterion } from '../attacks/types';
import { topK } from '../eval/scores';
import type { Accuracy, DefenceAttackRef, DefenceRow } from '../report/sections';

/** Per image: label in top-1, label in top-5, and (where known) the top-1 class itself. */
export interface Correctness {
  top1: boolean[];
  top5: boolean[];
  predicted?: number[];
}

/** Per image of a score matrix: label in top-1, label in top-5, the top-1 class. */
export function correctness(scores: Float32Array, labels: ArrayLike<number>): Required<Correctness> {
  const n = labels.length;
  const classes = n ? scores.length / n : 0;
  const top1: boolean[] = [],
    top5: boolean[] = [],
    predicted: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = topK(scores.subarray(i * classes, (i + 1) * classes), Math.min(5, classes));
    top1.push(r[0] === labels[i]);
    top5.push(r.includes(labels[i]));
    predicted.push(r[0]);
  }
  return { top1, top5, predicted };
}

interface Counts {
  top1: number;
  top5: number;
}

/** A tally's counts (what its rows and rates are computed from): a shard's report carries them, `merge` sums them. */
export interface TallyCounts {
  evaluated: number;
  numAdversarial: number;
  rescued: number;
  origClean: Counts;
  origAttacked: Counts;
  defClean: Counts;
  defAttacked: Counts;
}

/** The defended model's verdict on one image's adversarial example, as pass 1 counted it. */
export interface DefendedExample {
  top1: boolean;
  top5: boolean;
}

// Per evaluated image, one byte: in #Adv, defended top-1 / top-5 correct on its adversarial example, and on
// the clean image.
const IN_ADV = 1,
  DEF_TOP1 = 2,
  DEF_TOP5 = 4,
  CLEAN_TOP1 = 8,
  CLEAN_TOP5 = 16;

/**
 * The tally behind each row it produced, so pass 2 can read pass 1's verdicts on the very examples it
 * re-attacks instead of classifying them again (a post-averaged model is random: a second classification
 * would be a second, different non-adaptive rate). Weak: a report's rows keep nothing alive.
 */
const tallyOfRow = new WeakMap<DefenceRow, DefenceTally>();

/** The pass-1 tally a defence row was made from (undefined for rows not made by DefenceTally.row). */
export function tallyBehind(row: DefenceRow): DefenceTally | undefined {
  return tallyOfRow.get(row);
}

/** One defence configuration × one attack. */
export class DefenceTally {
  evaluated = 0;
  numAdversarial = 0;
  /** Adversarial examples the defended model gets right under the criterion. */
  rescued = 0;
  private readonly origClean: Counts = { top1: 0, top5: 0 };
  private readonly origAttacked: Counts = { top1: 0, top5: 0 };
  private readonly defClean: Counts = { top1: 0, top5: 0 };
  private readonly defAttacked: Counts = { top1: 0, top5: 0 };
  /** Per evaluated image in the order seen: IN_ADV | DEF_TOP1 | DEF_TOP5 bits (a byte an image). */
  private verdicts = new Uint8Array(256);
  /** Per evaluated image: the defended model's top-1 class on the clean image and on its example (−1: none). */
  private cleanClass = new Int32Array(256).fill(-1);
  private exampleClass = new Int32Array(256).fill(-1);

  constructor(readonly criterion: Criterion) {}

  /**
   * One batch. `clean` / `defendedClean`: per batch image. `adversarialOf[i]`: index into `adv` /
   * `defendedAdv` of image i's successful adversarial example, or −1 when it is not in #Adv.
   */
  add(clean: Correctness, defendedClean: Correctness, adversarialOf: number[], adv: Correctness, defendedAdv: Correctness): void {
    const n = clean.top1.length;
    for (let i = 0; i < n; i++) {
      this.evaluated++;
      bump(this.origClean, clean.top1[i], clean.top5[i]);
      bump(this.defClean, defendedClean.top1[i], defendedClean.top5[i]);
      const k = adversarialOf[i];
      const cleanBits = (defendedClean.top1[i] ? CLEAN_TOP1 : 0) | (defendedClean.top5[i] ? CLEAN_TOP5 : 0);
      this.record(
        this.evaluated - 1,
        cleanBits | (k < 0 ? 0 : IN_ADV | (defendedAdv.top1[k] ? DEF_TOP1 : 0) | (defendedAdv.top5[k] ? DEF_TOP5 : 0)),
        defendedClean.predicted?.[i] ?? -1,
        k < 0 ? -1 : (defendedAdv.predicted?.[k] ?? -1),
      );
      if (k < 0) {
        bump(this.origAttacked, clean.top1[i], clean.top5[i]);
        bump(this.defAttacked, defendedClean.top1[i], defendedClean.top5[i]);
        continue;
      }
      this.numAdversarial++;
      bump(this.origAttacked, adv.top1[k], adv.top5[k]);
      bump(this.defAttacked, defendedAdv.top1[k], defendedAdv.top5[k]);
      if (this.criterion === 'top1' ? defendedAdv.top1[k] : defendedAdv.top5[k]) this.rescued++;
    }
  }

  counts(): TallyCounts {
    const c = (x: Counts) => ({ ...x });
    return {
      evaluated: this.evaluated,
      numAdversarial: this.numAdversarial,
      rescued: this.rescued,
      origClean: c(this.origClean),
      origAttacked: c(this.origAttacked),
      defClean: c(this.defClean),
      defAttacked: c(this.defAttacked),
    };
  }

  /** Adds another tally's counts (a shard's): rows and rates follow exactly; the per-image verdicts do not (pass 2's). */
  addCounts(k: TallyCounts): void {
    this.evaluated += k.evaluated;
    this.numAdversarial += k.numAdversarial;
    this.rescued += k.rescued;
    const add = (to: Counts, from: Counts) => {
      to.top1 += from.top1;
      to.top5 += from.top5;
    };
    add(this.origClean, k.origClean);
    add(this.origAttacked, k.origAttacked);
    add(this.defClean, k.defClean);
    add(this.defAttacked, k.defAttacked);
  }

  private record(index: number, bits: number, cleanClass: number, exampleClass: number): void {
    if (index >= this.verdicts.length) {
      const size = Math.max(2 * this.verdicts.length, index + 1);
      const grown = new Uint8Array(size);
      grown.set(this.verdicts);
      this.verdicts = grown;
      const classes = (a: Int32Array) => {
        const g = new Int32Array(size).fill(-1);
        g.set(a);
        return g;
      };
      this.cleanClass = classes(this.cleanClass);
      this.exampleClass = classes(this.exampleClass);
    }
    this.verdicts[index] = bits;
    this.cleanClass[index] = cleanClass;
    this.exampleClass[index] = exampleClass;
  }

  /** The defended model's top-1 class on the `index`-th evaluated image (−1: not recorded). */
  defendedCleanClass(index: number): number {
    return index < this.evaluated ? this.cleanClass[index] : -1;
  }

  /** The defended model's top-1 class on that image's adversarial example (−1: not in #Adv, or not recorded). */
  defendedExampleClass(index: number): number {
    return index < this.evaluated ? this.exampleClass[index] : -1;
  }

  /**
   * The defended model's verdict on the adversarial example of the `index`-th evaluated image (in the order
   * the batches were added), or null when that image is not in #Adv.
   */
  defendedExample(index: number): DefendedExample | null {
    const bits = index < this.evaluated ? this.verdicts[index] : 0;
    return bits & IN_ADV ? { top1: (bits & DEF_TOP1) !== 0, top5: (bits & DEF_TOP5) !== 0 } : null;
  }

  /** The defended model's verdict on the `index`-th evaluated image itself (clean), as pass 1 counted it. */
  defendedClean(index: number): DefendedExample {
    const bits = index < this.evaluated ? this.verdicts[index] : 0;
    return { top1: (bits & CLEAN_TOP1) !== 0, top5: (bits & CLEAN_TOP5) !== 0 };
  }

  get defenceRate(): number | null {
    return this.numAdversarial ? this.rescued / this.numAdversarial : null;
  }

  get defendedCleanTop1(): number {
    return this.evaluated ? this.defClean.top1 / this.evaluated : 0;
  }
  get originalCleanTop1(): number {
    return this.evaluated ? this.origClean.top1 / this.evaluated : 0;
  }

  row(attack: DefenceAttackRef): DefenceRow {
    const acc = (c: Counts): Accuracy => ({
      top1: this.evaluated ? c.top1 / this.evaluated : 0,
      top5: this.evaluated ? c.top5 / this.evaluated : 0,
    });
    const row: DefenceRow = {
      attack,
      evaluated: this.evaluated,
      numAdversarial: this.numAdversarial,
      original: { clean: acc(this.origClean), attacked: acc(this.origAttacked) },
      defended: { clean: acc(this.defClean), attacked: acc(this.defAttacked) },
      defenceRate: this.defenceRate,
      adaptive: null,
    };
    tallyOfRow.set(row, this);
    return row;
  }
}

function bump(c: Counts, top1: boolean, top5: boolean): void {
  if (top1) c.top1++;
  if (top5) c.top5++;
}

/**
 * Picks the parameter value to report: among the values whose defended clean top-1 accuracy is within
 * `tolerance` of the undefended one, the highest mean defence rate over the attacks (ties: the earlier
 * value in the grid); if none is within tolerance, the value with the smallest clean drop.
 */
export function chooseParameter(
  grid: number[],
  tallies: DefenceTally[][],
  tolerance: number,
): { value: number; index: number; reason: string } {
  const drops = tallies.map((ts) => (ts.length ? ts[0].originalCleanTop1 - ts[0].defendedCleanTop1 : Infinity));
  const rates = tallies.map((ts) => {
    const r = ts.map((t) => t.defenceRate).filter((v): v is number => v !== null);
    return r.length ? r.reduce((a, b) => a + b, 0) / r.length : -1;
  });
  let best = -1;
  grid.forEach((_, i) => {
    if (drops[i] <= tolerance + 1e-12 && (best < 0 || rates[i] > rates[best])) best = i;
  });
  if (best >= 0)
    return {
      value: grid[best],
      index: best,
      reason: `highest mean defence rate over the attacks among values whose clean top-1 drop is ≤ ${(tolerance * 100).toFixed(1)} pp`,
    };
  let least = 0;
  drops.forEach((d, i) => {
    if (d < drops[least]) least = i;
  });
  return {
    value: grid[least],
    index: least,
    reason: `no value kept the clean top-1 drop within ${(tolerance * 100).toFixed(1)} pp: the one with the smallest drop`,
  };
}
