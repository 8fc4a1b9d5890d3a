import type { OpGradient } from '../types';

/** Sigmoid: dx = dy·y·(1 − y). */
export const sigmoidGradient: OpGradient = {
  opType: 'Sigmoid',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const y = node.outputs[0];
    return [e.op('Mul', [dy[0], e.op('Mul', [y, e.op('Sub', [e.scalar(1), y])])])];
  },
};
