import type { OpGradient } from '../types';

/**
 * CumSum along an axis: y_i = Σ_{k ≤ i} x_k (exclusive: k < i; reverse: k ≥ i / k > i). Each x_k reaches the
 * outputs on the other side of it, so dx is the cumulative sum of dy in the opposite direction with the same
 * exclusivity.
 */
export const cumSumGradient: OpGradient = {
  opType: 'CumSum',
  gradient: ({ node, dy, needs, ctx }) => {
    if (needs[1]) node.fail('the axis input depends on the image');
    const reverse = node.int('reverse', 0) ? 0 : 1;
    return [ctx.e.op('CumSum', [dy[0], node.input(1)], { exclusive: node.int('exclusive', 0), reverse }), ''];
  },
};
