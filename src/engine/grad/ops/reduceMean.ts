import type { OpGradient } from '../types';
import { countOver, expandLike, keepDims, reductionAxes } from './structuralUtil';

/** ReduceMean: dx = dy / n broadcast back over the reduced axes (n = number of reduced elements). */
export const reduceMeanGradient: OpGradient = {
  opType: 'ReduceMean',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const axes = reductionAxes(node, ctx);
    const scaled = e.op('Div', [keepDims(node, e, dy[0], axes), countOver(ctx, x, axes, node.outputs[0])]);
    return [expandLike(e, scaled, x)];
  },
};
