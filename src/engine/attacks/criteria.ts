/** Success criteria: top-1 miss / top-5 miss (untargeted), target reached (targeted). */
import { topK } from '../eval/scores';
import type { Criterion } from './types';

/**
 * Untargeted: top1 → the label is not the top class; top5 → the label is not among the top 5.
 * Targeted: top1 → the target is the top class; top5 → the target is among the top 5.
 */
export function adversarialMask(scores: Float32Array, labels: number[], targets: number[] | null, criterion: Criterion): boolean[] {
  const count = labels.length;
  const classes = scores.length / count;
  const k = criterion === 'top5' ? Math.min(5, classes) : 1;
  return labels.map((label, i) => {
    const ranking = topK(scores.subarray(i * classes, (i + 1) * classes), k);
    return targets ? ranking.includes(targets[i]) : !ranking.includes(label);
  });
}
