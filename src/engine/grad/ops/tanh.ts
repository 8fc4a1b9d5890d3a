import type { OpGradient } from '../types';

/** Tanh: dx = dy·(1 − y²). */
export const tanhGradient: OpGradient = {
  opType: 'Tanh',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const y = node.outputs[0];
    return [e.op('Mul', [dy[0], e.op('Sub', [e.scalar(1), e.op('Mul', [y, y])])])];
  },
};
