import type { OpGradient } from '../types';

/** Exp: dx = dy·y. */
export const expGradient: OpGradient = {
  opType: 'Exp',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    return [e.op('Mul', [dy[0], node.outputs[0]])];
  },
};
