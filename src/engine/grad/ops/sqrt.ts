import type { OpGradient } from '../types';

/** Sqrt, y = √x: dx = dy / (2y). */
export const sqrtGradient: OpGradient = {
  opType: 'Sqrt',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    return [e.op('Div', [dy[0], e.op('Mul', [node.outputs[0], e.scalar(2)])])];
  },
};
