/**
 * Stage "adaptive", pass 2: per defence and attack, the images the attack broke are re-attacked through the
 * defence (its own gradient, same per-image budget), and the rows of the defence table get their adaptive
 * numbers. The examples re-attacked are pass 1's (pass 2 replays pass 1's batches, so its suite draws the same
 * random starts), and the non-adaptive verdict on each is pass 1's: one set, each number computed once.
 */
import { performance } from 'node:perf_hooks';
import type { Attack, Criterion, Norm } from '../../attacks/types';
import { adaptiveApgd, adaptiveBudget, adaptiveEnsemble, adaptivePgd, type AdaptiveAttack } from '../../defences/adaptive';
import { correctness, type DefendedExample } from '../../defences/tally';
import { EngineError } from '../../errors';
import type { GradientSource } from '../../grad/estimatedGradient';
import type { LossHead } from '../../grad/lossHeads';
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
  /** The ensemble's cascade (autoattack only): per attack, images it ran on and broke; attacks skipped, with why. */
  ensemble: { attacks: { name: string; label: string; ranOn: number; broke: number }[]; skipped: Map<string, string> } | null = null;

  /** Adds one batch's cascade to the ensemble's counts. */
  addEnsemble(attacks: { name: string; label: string; ranOn: number; broke: number }[], skipped: { name: string; reason: string }[]) {
    this.ensemble ??= { attacks: attacks.map((a) => ({ ...a, ranOn: 0, broke: 0 })), skipped: new Map() };
    attacks.forEach((a, i) => {
      const e = this.ensemble!.attacks[i];
      e.ranOn += a.ranOn;
      e.broke += a.broke;
      e.label = a.label;
    });
    for (const s of skipped) this.ensemble.skipped.set(s.name, s.reason);
  }

  /** The labels of the ensemble's attacks that ran (all of its list until a batch says otherwise). */
  ensembleLabels(): string[] | null {
    return this.ensemble ? this.ensemble.attacks.filter((a) => !this.ensemble!.skipped.has(a.name)).map((a) => a.label) : null;
  }

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
      ...(this.ensemble
        ? {
            ensemble: {
              attacks: this.ensemble.attacks.map(({ name, label, ranOn, broke }) => ({ name, label, ranOn, broke })),
              skipped: [...this.ensemble.skipped].map(([name, reason]) => ({ name, reason })),
            },
          }
        : {}),
    };
  }
}

/** The adaptive rows of one defence: one per attack, `seedOf(a)` as each row records it. */
export function adaptiveRows(
  tallies: AdaptiveTally[],
  refs: DefenceAttackRef[],
  label: (norm: Norm, tally: AdaptiveTally) => string,
  seedOf: (attack: number) => number,
): AdaptiveRow[] {
  return refs.map((ref, a) => tallies[a].row(label(ref.norm, tallies[a]), seedOf(a)));
}

/** One attack's examples of a batch that pass 2 re-attacks (indices into its result), with pass 1's verdicts. */
export interface Reattack {
  ks: number[];
  /** The defended model's verdict on each non-adaptive example as pass 1 counted it; null: classify them here. */
  before: DefendedExample[] | null;
  /** Images of the adaptive set where pass 2's attack and pass 1's disagree on success (0 when replayed exactly). */
  mismatched: number;
}

/**
 * The examples to re-attack: images of the adaptive set that the attack broke — in both passes when pass 1's
 * verdicts are known (`pass1(i)`: null when batch image i is not in pass 1's #Adv), so the adaptive row's
 * examples are always a subset of the #Adv it stands beside.
 */
export function examplesToReattack(
  r: BatchAttackResult,
  inAdaptiveSet: (batchImage: number) => boolean,
  pass1: ((batchImage: number) => DefendedExample | null) | null,
): Reattack {
  const ks: number[] = [];
  const before: DefendedExample[] = [];
  let mismatched = 0;
  r.attacked.forEach((i, k) => {
    if (!inAdaptiveSet(i)) return;
    if (!pass1) {
      if (r.success[k]) ks.push(k);
      return;
    }
    const verdict = pass1(i);
    if ((verdict !== null) !== r.success[k]) mismatched++;
    if (verdict && r.success[k]) {
      ks.push(k);
      before.push(verdict);
    }
  });
  return { ks, before: pass1 ? before : null, mismatched };
}

/**
 * Re-attacks the images one attack broke, adaptively against a defence (PGD-10, APGD-CE-10 with
 * `adaptiveAttack: 'apgd-ce'`, or the AutoAttack ensemble with 'autoattack'), with the same per-image budget, and counts into `t` how many the defence still gets right. The adaptive attacker keeps whichever of its own
 * and the non-adaptive example fools the defence: with a minimal budget (DeepFool, C&W) ten PGD steps may
 * not reach the boundary the minimal attack found.
 */
export async function attackAdaptively(
  model: ScoreModel,
  gradient: GradientSource,
  attack: Attack,
  r: BatchAttackResult,
  examples: Reattack,
  pixels: Float32Array,
  batchLabels: number[],
  per: number,
  criterion: Criterion,
  seed: number,
  t: AdaptiveTally,
  signal?: AbortSignal,
  /**
   * Which attack, and whether the defended model is randomized (APGD then keeps every image for every step);
   * the ensemble also needs the defence's gradient of every loss head it asks for (`gradients`).
   */
  method: {
    attack: AdaptiveAttack;
    randomized: boolean;
    gradients?: { get(head: LossHead): Promise<GradientSource> };
  } = { attack: 'pgd', randomized: false },
): Promise<void> {
  const { ks } = examples;
  if (!ks.length) return;
  const budgets = ks.map((k) => adaptiveBudget(attack, r, k));
  const x = new Float32Array(ks.length * per);
  ks.forEach((k, j) => x.set(pixels.subarray(r.attacked[k] * per, (r.attacked[k] + 1) * per), j * per));
  const labels = ks.map((k) => batchLabels[r.attacked[k]]);
  const before = examples.before
    ? { top1: examples.before.map((v) => v.top1), top5: examples.before.map((v) => v.top5) }
    : correctness(await model.scores(stackRows(r.adversarial, ks, per), ks.length), labels);
  const t0 = performance.now();
  const eps = Float64Array.from(budgets, (b) => b.eps);
  const norm = budgets[0].norm;
  let res: { adversarial: Float32Array };
  if (method.attack === 'autoattack') {
    if (!method.gradients) throw new EngineError('RUNTIME', 'the adaptive ensemble needs the defence gradient of each loss head');
    const e = await adaptiveEnsemble(model, method.gradients, x, labels, norm, eps, criterion, seed, method.randomized, signal);
    t.addEnsemble(e.attacks, e.skipped);
    res = e;
  } else if (method.attack === 'apgd-ce')
    res = await adaptiveApgd(model, gradient, x, labels, norm, eps, criterion, seed, method.randomized, signal);
  else res = await adaptivePgd(model, gradient, x, labels, norm, eps, criterion, seed, signal);
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

function stackRows(from: Float32Array, rows: number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((k, j) => out.set(from.subarray(k * per, (k + 1) * per), j * per));
  return out;
}
