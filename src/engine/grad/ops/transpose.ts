import type { OpGradient } from '../types';
import { range } from './structuralUtil';

/** Transpose: dx = Transpose(dy, perm⁻¹) (default perm: reversed axes, its own inverse). */
export const transposeGradient: OpGradient = {
  opType: 'Transpose',
  gradient: ({ node, dy, ctx }) => {
    const rank = ctx.rank(node.input(0));
    const perm = node.ints('perm', range(0, rank).reverse());
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [ctx.e.op('Transpose', [dy[0]], { perm: inverse })];
  },
};
