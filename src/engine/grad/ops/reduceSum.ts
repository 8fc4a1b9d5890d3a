import type { OpGradient } from '../types';
import { expandLike, keepDims, reductionAxes } from './structuralUtil';

/** ReduceSum: dx = dy broadcast back over the reduced axes. */
export const reduceSumGradient: OpGradient = {
  opType: 'ReduceSum',
  gradient: ({ node, dy, ctx }) => {
    const axes = reductionAxes(node, ctx);
    return [expandLike(ctx.e, keepDims(node, ctx.e, dy[0], axes), node.input(0))];
  },
};
