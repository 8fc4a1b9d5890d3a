import type { OpGradient } from '../types';

/** Reciprocal, y = 1/x: dx = −dy·y². */
export const reciprocalGradient: OpGradient = {
  opType: 'Reciprocal',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const y = node.outputs[0];
    return [e.op('Neg', [e.op('Mul', [dy[0], e.op('Mul', [y, y])])])];
  },
};
