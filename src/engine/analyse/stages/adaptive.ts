/**
 * Stage "adaptive", pass 2: per defence and attack, the images the attack broke are re-attacked through the
 * defence (its own gradient, same per-image budget), and the rows of the defence table get their adaptive
 * numbers.
 */
import { performance } from 'node:perf_hooks';
import type { Attack, Criterion, Norm } from '../../attacks/types';
import { adaptiveBudget, adaptivePgd } from '../../defences/adaptive';
import { correctness } from '../../defences/tally';
import { EngineError } from '../../errors';
import type { GradientSource } from '../../grad/estimatedGradient';
import type { BatchAttackResult } from '../../jobs/attackSuite';
import type { DefenceAttackRef, DefenceRow } from '../../report/sections';
import type { ScoreModel } from '../../runtime/scoreModel';

export type AdaptiveRow = NonNullable<DefenceRow['adaptive']>;

/** One defence × attack, over the batches of pass 2. */
export class AdaptiveTally {
  adv = 0;
  rescued = 0;
  rescuedNonAdaptive = 0;
  attackedTop1 = 0;
  attackedTop5 = 0;
  seconds = 0;

  row(label: string, seed: number): AdaptiveRow {
    const n = this.adv;
    return {
      label,
      defenceRate: n ? this.rescued / n : null,
      attacked: { top1: n ? this.attackedTop1 / n : 0, top5: n ? this.attackedTop5 / n : 0 },
      seed,
      seconds: this.seconds,
      images: n,
      nonAdaptiveDefenceRate: n ? this.rescuedNonAdaptive / n : null,
    };
  }
}

/** The adaptive rows of one defence: one per attack, `seedOf(a)` as each row records it. */
export function adaptiveRows(
  tallies: AdaptiveTally[],
  refs: DefenceAttackRef[],
  label: (norm: Norm) => string,
  seedOf: (attack: number) => number,
): AdaptiveRow[] {
  return refs.map((ref, a) => tallies[a].row(label(ref.norm), seedOf(a)));
}

/**
 * Re-attacks the images one attack broke, adaptively against a defence, with the same per-image budget, and
 * counts into `t` how many the defence still gets right. The adaptive attacker keeps whichever of its own
 * and the non-adaptive example fools the defence: with a minimal budget (DeepFool, C&W) ten PGD steps may
 * not reach the boundary the minimal attack found.
 */
export async function attackAdaptively(
  model: ScoreModel,
  gradient: GradientSource,
  attack: Attack,
  r: BatchAttackResult,
  pixels: Float32Array,
  batchLabels: number[],
  per: number,
  criterion: Criterion,
  seed: number,
  t: AdaptiveTally,
  signal?: AbortSignal,
): Promise<void> {
  const ks = r.attacked.map((_, k) => k).filter((k) => r.success[k]);
  if (!ks.length) return;
  const budgets = ks.map((k) => adaptiveBudget(attack, r, k));
  const x = new Float32Array(ks.length * per);
  const nonAdaptive = new Float32Array(ks.length * per);
  ks.forEach((k, j) => {
    x.set(pixels.subarray(r.attacked[k] * per, (r.attacked[k] + 1) * per), j * per);
    nonAdaptive.set(r.adversarial.subarray(k * per, (k + 1) * per), j * per);
  });
  const labels = ks.map((k) => batchLabels[r.attacked[k]]);
  const before = correctness(await model.scores(nonAdaptive, ks.length), labels);
  const t0 = performance.now();
  const res = await adaptivePgd(
    model,
    gradient,
    x,
    labels,
    budgets[0].norm,
    Float64Array.from(budgets, (b) => b.eps),
    criterion,
    seed,
    signal,
  );
  // An attack cut short by a cancel is weaker than the one asked for: its count would flatter the defence.
  if (signal?.aborted) throw new EngineError('CANCELLED', 'cancelled during an adaptive attack; the interrupted batch is not counted');
  const after = correctness(await model.scores(res.adversarial, ks.length), labels);
  const top1 = after.top1.map((v, j) => v && before.top1[j]);
  const top5 = after.top5.map((v, j) => v && before.top5[j]);
  t.seconds += (performance.now() - t0) / 1000;
  t.adv += ks.length;
  t.rescued += (criterion === 'top1' ? top1 : top5).filter(Boolean).length;
  t.rescuedNonAdaptive += (criterion === 'top1' ? before.top1 : before.top5).filter(Boolean).length;
  t.attackedTop1 += top1.filter(Boolean).length;
  t.attackedTop5 += top5.filter(Boolean).length;
}
