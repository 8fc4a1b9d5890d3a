import type { OpGradient } from '../types';

/** Abs: dx = dy·sign(x) (0 at x = 0). */
export const absGradient: OpGradient = {
  opType: 'Abs',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    return [e.op('Mul', [dy[0], e.op('Sign', [node.input(0)])])];
  },
};
