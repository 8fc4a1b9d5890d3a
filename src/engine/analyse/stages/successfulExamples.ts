/** Each successful adversarial example of a batch with its clean image, per attack. */
import type { SuiteBatch } from '../../jobs/attackSuite';

export function forEachSuccess(
  sb: SuiteBatch,
  per: number,
  visit: (attack: number, clean: Float32Array, adversarial: Float32Array) => void,
): void {
  sb.attacks.forEach((r, a) => {
    r.attacked.forEach((i, k) => {
      if (!r.success[k]) return;
      visit(a, sb.pixels.subarray(i * per, (i + 1) * per), r.adversarial.subarray(k * per, (k + 1) * per));
    });
  });
}
