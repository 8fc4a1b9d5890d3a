/**
 * Adaptive attacks: PGD against the defended model, with the gradient of the defence itself — EOT over
 * post-averaging's sampled points, or exactly through the (linear) low-pass filter. Each adaptive example
 * gets the same norm and per-image budget as the non-adaptive example it stands beside: the attack's ε for
 * fixed-ε rows, the ε it needed for minimal-ε rows, the perturbation's measured norm for DeepFool, C&W and
 * SimBA. So "non-adaptive / adaptive" compares two attackers with the same budget, one of whom knows the
 * defence — and who may also submit the non-adaptive example, so per image the adaptive outcome is the worse
 * of the two for the defence. The attack is PGD-10 by default, or APGD-CE-10 (`adaptiveAttack: 'apgd-ce'`,
 * the first attack of AutoAttack, at the same number of gradient calls).
 */
import { createApgdCe } from '../attacks/apgd';
import { attackNorm } from '../attacks/catalog';
import { EngineError } from '../errors';
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

/** The adaptive attack: PGD-10 (the default) or APGD-CE-10, AutoAttack's first attack at the same cost. */
export type AdaptiveAttack = 'pgd' | 'apgd-ce';

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
  const per = pixels.length / labels.length;
  const adversarial = Float32Array.from(pixels);
  const groups = new Map<number, number[]>();
  // A budget no attack can use (none measured, or beyond the pixel range) leaves the image as it is: the
  // non-adaptive example, which the caller still counts, stands alone.
  eps.forEach((e, i) => {
    if (e > 0 && Number.isFinite(e) && (norm !== 'linf' || e <= 1)) groups.set(e, [...(groups.get(e) ?? []), i]);
  });
  let g = 0;
  for (const [e, rows] of groups) {
    const ctx = attackContext(model, provider, criterion, seed + g++, signal);
    const x = new Float32Array(rows.length * per);
    rows.forEach((i, j) => x.set(pixels.subarray(i * per, (i + 1) * per), j * per));
    const attack = createApgdCe({ norm, eps: e, steps: ADAPTIVE_STEPS, restarts: 1, rho: 0.75, eot: 1, keepBroken: randomized });
    const out = await attack.run({ pixels: x, count: rows.length, labels: rows.map((i) => labels[i]), targets: null }, ctx);
    rows.forEach((i, j) => adversarial.set(out.adversarial.subarray(j * per, (j + 1) * per), i * per));
    if (signal?.aborted) break;
  }
  return { adversarial };
}

/** The adaptive row's label when APGD-CE replaced PGD: what ran, and how its gradient met the defence. */
export function apgdAdaptiveLabel(norm: Norm, randomized: boolean): string {
  return `APGD-CE-${ADAPTIVE_STEPS} ${norm === 'linf' ? 'L∞' : 'L2'} (${randomized ? 'EOT: every gradient call averaged over freshly sampled defence points, images kept for every step; ' : 'through the defence; '}AutoAttack's first attack), same budget per image`;
}
