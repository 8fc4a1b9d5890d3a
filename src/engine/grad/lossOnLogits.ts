/** The heads' losses computed in JavaScript (float64) from scores, for finite differences and estimates. */
import type { OutputKind } from '../eval/scores';
import { LOG_PROBABILITY_FLOOR } from './classifierGradient';
import { DLR_EPSILON, type LossHead } from './lossHeads';

/** Logits as the gradient model sees them: raw scores, or clamped log-probabilities. */
export function headLogits(row: ArrayLike<number>, kind: OutputKind): Float64Array {
  return kind === 'probabilities'
    ? Float64Array.from(row, (p) => Math.log(Math.min(1, Math.max(LOG_PROBABILITY_FLOOR, p))))
    : Float64Array.from(row);
}

export function headLoss(
  head: LossHead,
  z: Float64Array,
  extra: { label?: number; target?: number; kappa?: number; cotangent?: ArrayLike<number> },
): number {
  switch (head.kind) {
    case 'cross-entropy': {
      let max = -Infinity;
      for (const v of z) max = Math.max(max, v);
      let s = 0;
      for (const v of z) s += Math.exp(v - max);
      return max + Math.log(s) - z[extra.label!];
    }
    case 'cw-margin': {
      const t = extra.label!;
      let best = -Infinity;
      z.forEach((v, j) => {
        if (j !== t && v > best) best = v;
      });
      const margin = head.targeted ? best - z[t] : z[t] - best;
      return Math.max(margin, -(extra.kappa ?? 0));
    }
    case 'dlr': {
      const y = extra.label!;
      const sorted = Array.from(z).sort((a, b) => b - a);
      if (head.targeted) {
        const d = sorted[0] - 0.5 * (sorted[2] + sorted[3]) + DLR_EPSILON;
        return -(z[y] - z[extra.target!]) / d;
      }
      let best = -Infinity;
      z.forEach((v, j) => {
        if (j !== y && v > best) best = v;
      });
      return -(z[y] - best) / (sorted[0] - sorted[2] + DLR_EPSILON);
    }
    case 'vjp': {
      let s = 0;
      z.forEach((v, k) => {
        s += v * extra.cotangent![k];
      });
      return s;
    }
  }
}
