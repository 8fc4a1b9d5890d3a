/**
 * The Quick Attack Check's suite: FGSM and PGD-10 L∞ at their literature defaults (ε = 8/255). Defined once
 * here so the extension's Quick Attack Check and the CLI's `check` (its default suite) attack alike.
 */
import type { AttackSpec } from './catalog';

export function quickCheckSuite(): AttackSpec[] {
  return [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { norm: 'linf', steps: 10 } },
  ];
}
