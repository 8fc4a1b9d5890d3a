import type { OpGradient } from '../types';

/** Softplus, y = ln(1 + eˣ): dx = dy·σ(x). */
export const softplusGradient: OpGradient = {
  opType: 'Softplus',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    return [e.op('Mul', [dy[0], e.op('Sigmoid', [node.input(0)])])];
  },
};
