/**
 * Adaptive attacks: PGD against the defended model, with the gradient of the defence itself — EOT over
 * post-averaging's sampled points, or exactly through the (linear) low-pass filter. Each adaptive example
 * gets the same norm and per-image budget as the non-adaptive example it stands beside: the attack's ε for
 * fixed-ε rows, the ε it needed for minimal-ε rows, the perturbation's measured norm for DeepFool, C&W and
 * SimBA. So "non-adaptive / adaptive" compares two attackers with the same budget, one of whom knows the
 * defence — and who may also submit the non-adaptive example, so per image the adaptive outcome is the worse
 * of the two for the defence.
 */
import { attackNorm } from '../attacks/catalog';
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
