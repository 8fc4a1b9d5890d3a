/**
 * Adaptive attacks: PGD against the defended model, with the gradient of the defence itself — EOT over
 * post-averaging's sampled points, or exactly through the (linear) low-pass filter. Each adaptive example
 * gets the same norm and per-image budget as the non-adaptive example it stands beside: the attack's ε for
 * fixed-ε rows, the ε it needed for minimal-ε rows, the perturbation's measured norm for DeepFool, C&W and
 * SimBA. So "non-adaptive / adaptive" compares two attackers with the same budget, one of whom knows the
 * defence — and who may also submit the non-adaptive example, so per image the adaptive outcome is the worse
 * of the two for the defence. The attack is PGD-10 by default, APGD-CE-10 (`adaptiveAttack: 'apgd-ce'`,
 * the first attack of AutoAttack, at the same number of gradient calls), or the AutoAttack ensemble
 * (`adaptiveAttack: 'autoattack'`) as a worst-case cascade per image: standard's attacks against a
 * deterministic defence, rand's (with the defence's EOT gradient) against a randomized one.
 */
import { createApgdCe } from '../attacks/apgd';
import { attackDefaults, attackNorm, isAttackName, type AttackSpec } from '../attacks/catalog';
import { AUTOATTACK_EPS, autoAttackSuite } from '../attacks/ensemble';
import { createAttack } from '../attacks/registry';
import { EngineError, isEngineError } from '../errors';
import type { LossHead } from '../grad/lossHeads';
import { attackContext } from '../attacks/context';
import { projectedGradientSteps } from '../attacks/gradientSteps';
import { PGD_DEFAULTS } from '../attacks/pgd';
import type { Attack, Criterion, Norm } from '../attacks/types';
import type { GradientSource } from '../grad/estimatedGradient';
import type { ScoreModel } from '../runtime/scoreModel';
import type { BatchAttackResult } from '../jobs/attackSuite';

export const ADAPTIVE_STEPS = 10;

/** The norm and budget an adaptive attacker gets for attacked image k of a non-adaptive result. */
export function adaptiveBudget(attack: Attack, result: BatchAttackResult, k: number): { norm: Norm; eps: number } {
  const p = attack.params;
  const norm = attackNorm(p.attack as string, p);
  let eps: number;
  if (attack.mode === 'fixed-eps') eps = p.eps as number;
  else if (attack.mode === 'minimal-eps') eps = result.epsilon ? result.epsilon[k] : NaN;
  else eps = norm === 'linf' ? result.linf[k] : result.l2[k];
  return { norm, eps };
}

/**
 * PGD-10 with random start against `model`, per-image ε, step α = ε·(α/ε of the PGD defaults). Returns
 * whether the defended model still classifies each adversarial example correctly (under the criterion).
 */
export async function adaptivePgd(
  model: ScoreModel,
  gradient: GradientSource,
  pixels: Float32Array,
  labels: number[],
  norm: Norm,
  eps: Float64Array,
  criterion: Criterion,
  seed: number,
  signal?: AbortSignal,
): Promise<{ adversarial: Float32Array; defendedCorrect: boolean[] }> {
  const ctx = attackContext(model, { get: () => Promise.resolve(gradient) }, criterion, seed, signal);
  const d = PGD_DEFAULTS[norm];
  const alpha = Float64Array.from(eps, (e) => (e * d.alpha) / d.eps);
  const r = await projectedGradientSteps({ pixels, count: labels.length, labels, targets: null }, ctx, {
    norm,
    eps,
    alpha,
    steps: ADAPTIVE_STEPS,
    randomStart: true,
    earlyStop: false,
  });
  return { adversarial: r.adversarial, defendedCorrect: r.success.map((s) => !s) };
}

/** The adaptive attack: PGD-10 (the default), APGD-CE-10 (AutoAttack's first attack at the same cost), or the ensemble. */
export const ADAPTIVE_ATTACKS = ['pgd', 'apgd-ce', 'autoattack'] as const;
export type AdaptiveAttack = (typeof ADAPTIVE_ATTACKS)[number];

/**
 * Square's query budget inside the adaptive ensemble: AutoAttack's 5,000 would make the ensemble's forward
 * passes dwarf everything else a pass-2 image costs; 100 queries per APGD step keeps it a black-box check.
 */
export const ADAPTIVE_SQUARE_QUERIES = 100 * ADAPTIVE_STEPS;

/** A budget an attack can use: measured, positive, and (L∞) within the pixel range. */
export function usableBudget(e: number, norm: Norm): boolean {
  return e > 0 && Number.isFinite(e) && (norm !== 'linf' || e <= 1);
}

/**
 * The images of a batch grouped by their budget ε (a fixed-ε row has one group; minimal rows one per distinct
 * ε), in first-seen order; an unusable budget (none measured, or beyond the pixel range) is in no group: its
 * image is left as it is, and the non-adaptive example, which the caller still counts, stands alone.
 */
export function epsGroups(eps: ArrayLike<number>, norm: Norm): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < eps.length; i++) if (usableBudget(eps[i], norm)) groups.set(eps[i], [...(groups.get(eps[i]) ?? []), i]);
  return groups;
}

/**
 * Runs `attack` once per ε group (group g gets seed + g) on that group's images, and writes each group's
 * adversarial examples back in place; images in no group keep their pixels.
 */
export async function perEpsGroup(
  pixels: Float32Array,
  labels: number[],
  eps: ArrayLike<number>,
  norm: Norm,
  seed: number,
  attack: (group: { eps: number; pixels: Float32Array; labels: number[]; rows: number[]; seed: number }) => Promise<Float32Array>,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const per = pixels.length / Math.max(1, labels.length);
  const adversarial = Float32Array.from(pixels);
  let g = 0;
  for (const [e, rows] of epsGroups(eps, norm)) {
    const out = await attack({ eps: e, pixels: gatherRows(pixels, rows, per), labels: rows.map((i) => labels[i]), rows, seed: seed + g++ });
    rows.forEach((i, j) => adversarial.set(out.subarray(j * per, (j + 1) * per), i * per));
    if (signal?.aborted) break;
  }
  return adversarial;
}

function gatherRows(from: Float32Array, rows: number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((i, j) => out.set(from.subarray(i * per, (i + 1) * per), j * per));
  return out;
}

/**
 * APGD-CE-10 against `model` with the defence's gradient, per-image ε: the images are grouped by their ε (a
 * fixed-ε row has one group; minimal rows one per distinct ε). `randomized`: the defended model draws anew on
 * every call (post-averaging) — its gradient source already averages fresh draws (EOT) — so an image stays for
 * every step instead of leaving at its first lucky draw, as AutoAttack's rand version; the caller's fresh
 * forward pass decides whether the example fools the defence.
 */
export async function adaptiveApgd(
  model: ScoreModel,
  gradient: GradientSource,
  pixels: Float32Array,
  labels: number[],
  norm: Norm,
  eps: Float64Array,
  criterion: Criterion,
  seed: number,
  randomized: boolean,
  signal?: AbortSignal,
): Promise<{ adversarial: Float32Array }> {
  const provider = {
    get: (head: GradientSource['head']) => {
      if (head.kind !== 'cross-entropy') throw new EngineError('RUNTIME', `adaptive APGD-CE asked for a ${head.kind} gradient`);
      return Promise.resolve(gradient);
    },
  };
  const adversarial = await perEpsGroup(
    pixels,
    labels,
    eps,
    norm,
    seed,
    async (group) => {
      const ctx = attackContext(model, provider, criterion, group.seed, signal);
      const attack = createApgdCe({ norm, eps: group.eps, steps: ADAPTIVE_STEPS, restarts: 1, rho: 0.75, eot: 1, keepBroken: randomized });
      const out = await attack.run({ pixels: group.pixels, count: group.rows.length, labels: group.labels, targets: null }, ctx);
      return out.adversarial;
    },
    signal,
  );
  return { adversarial };
}

/** What the adaptive ensemble did on a set of images: per attack of its cascade, the images it ran on and broke. */
export interface EnsembleAdaptiveOutcome {
  adversarial: Float32Array;
  /** In cascade order: the attack, images it ran on (still robust before it), images it broke (the cascade's check). */
  attacks: { name: string; label: string; ranOn: number; broke: number }[];
  /** Attacks of the suite that could not run through this defence, with why. */
  skipped: { name: string; reason: string }[];
}

/**
 * The ensemble's attacks as the adaptive attacker runs them at budget ε: AutoAttack standard's (deterministic
 * defence) or rand's (randomized), whatever autoAttackSuite lists, with APGD at ADAPTIVE_STEPS steps and one
 * restart (the same gradient calls per attack as the APGD-CE row), no extra EOT calls (the defence's gradient
 * source already averages fresh draws), and Square at ADAPTIVE_SQUARE_QUERIES.
 */
export function adaptiveEnsembleSpecs(norm: Norm, eps: number, randomized: boolean): AttackSpec[] {
  return autoAttackSuite(randomized ? 'rand' : 'standard', norm, eps).map((spec) => {
    // By the catalog's parameters, so an attack added to the list later (FAB-T) gets the same budget rules.
    const known = isAttackName(spec.name) ? attackDefaults(spec.name, norm) : {};
    const params = { ...spec.params };
    if ('steps' in known) params.steps = ADAPTIVE_STEPS;
    if ('restarts' in known) params.restarts = 1;
    if ('eot' in known) params.eot = 1;
    if ('maxQueries' in known) params.maxQueries = ADAPTIVE_SQUARE_QUERIES;
    return { name: spec.name, params };
  });
}

/**
 * The AutoAttack ensemble against `model` as a worst-case cascade per image, per ε group: each attack runs only
 * on the images every earlier attack left robust, judged by a fresh forward pass of the defended model. The
 * gradient of each loss head is the defence's (`gradients.get(head)`: through the filter, or EOT). An attack that
 * cannot be built or cannot run through the defence (a USAGE or MODEL_UNSUPPORTED error) is skipped and named.
 * `randomized`: APGD keeps every image for every step (the rand version), as adaptiveApgd does.
 */
export async function adaptiveEnsemble(
  model: ScoreModel,
  gradients: { get(head: LossHead): Promise<GradientSource> },
  pixels: Float32Array,
  labels: number[],
  norm: Norm,
  eps: Float64Array,
  criterion: Criterion,
  seed: number,
  randomized: boolean,
  signal?: AbortSignal,
): Promise<EnsembleAdaptiveOutcome> {
  const skipped = new Map<string, string>();
  // Each attack's label (without its ε, which differs per group), built once up front: one that cannot be built is skipped.
  const attacks: EnsembleAdaptiveOutcome['attacks'] = adaptiveEnsembleSpecs(norm, AUTOATTACK_EPS[norm], randomized).map((spec) => {
    let label: string = spec.name;
    try {
      label = createAttack(spec)
        .label.replace(/ ε=.*$/, '')
        .replace(/ EOT-\d+$/, '');
    } catch (e) {
      if (!isEngineError(e) || e.code !== 'USAGE') throw e;
      skipped.set(spec.name, e.message);
    }
    return { name: spec.name, label, ranOn: 0, broke: 0 };
  });
  const per = pixels.length / Math.max(1, labels.length);
  const adversarial = await perEpsGroup(
    pixels,
    labels,
    eps,
    norm,
    seed,
    async (group) => {
      const out = Float32Array.from(group.pixels);
      let robust = group.rows.map((_r, j) => j);
      const specs = adaptiveEnsembleSpecs(norm, group.eps, randomized);
      for (let a = 0; a < specs.length && robust.length; a++) {
        if (skipped.has(specs[a].name)) continue;
        // Each attack its own stream within the group's, so adding an attack leaves the others' draws alone.
        const ctx = attackContext(model, gradients, criterion, group.seed + 7919 * a, signal);
        const x = gatherRows(group.pixels, robust, per);
        const batchLabels = robust.map((j) => group.labels[j]);
        let result: Float32Array;
        try {
          const attack = createAttack(specs[a], specs[a].name.startsWith('apgd') ? { keepBroken: randomized } : {});
          result = (await attack.run({ pixels: x, count: robust.length, labels: batchLabels, targets: null }, ctx)).adversarial;
        } catch (e) {
          if (!isEngineError(e) || (e.code !== 'USAGE' && e.code !== 'MODEL_UNSUPPORTED')) throw e;
          skipped.set(specs[a].name, e.message);
          continue;
        }
        if (signal?.aborted) return out;
        attacks[a].ranOn += robust.length;
        const fooled = ctx.isAdversarial(await model.scores(result, robust.length), batchLabels, null);
        const still: number[] = [];
        robust.forEach((j, q) => {
          // Every example is kept (a robust image's last one too: a randomized defence may fall to it on a fresh draw).
          out.set(result.subarray(q * per, (q + 1) * per), j * per);
          if (fooled[q]) attacks[a].broke++;
          else still.push(j);
        });
        robust = still;
      }
      return out;
    },
    signal,
  );
  return { adversarial, attacks, skipped: [...skipped].map(([name, reason]) => ({ name, reason })) };
}

/** The adaptive row's label when APGD-CE replaced PGD: what ran, and how its gradient met the defence. */
export function apgdAdaptiveLabel(norm: Norm, randomized: boolean): string {
  return `APGD-CE-${ADAPTIVE_STEPS} ${norm === 'linf' ? 'L∞' : 'L2'} (${randomized ? 'EOT: every gradient call averaged over freshly sampled defence points, images kept for every step; ' : 'through the defence; '}AutoAttack's first attack), same budget per image`;
}

/**
 * The adaptive row's label when the AutoAttack ensemble replaced PGD: its version, the attacks that ran (in
 * cascade order), and how their gradients met the defence.
 */
export function ensembleAdaptiveLabel(norm: Norm, randomized: boolean, attacks: string[]): string {
  const n = norm === 'linf' ? 'L∞' : 'L2';
  const how = randomized
    ? 'EOT: every gradient call averaged over freshly sampled defence points, images kept for every step'
    : 'gradients through the defence, Square on its forward passes only';
  return `AutoAttack ${randomized ? 'rand' : 'standard'} ${n} cascade (${attacks.join(' → ')}; ${how}; each attack only on the images still robust), same budget per image`;
}
