import type { OpGradient } from '../types';

/** Sub (numpy broadcasting): dA = Σ_broadcast dy, dB = −Σ_broadcast dy. */
export const subGradient: OpGradient = {
  opType: 'Sub',
  gradient: ({ node, dy, needs, ctx }) => {
    const y = node.outputs[0];
    return [
      needs[0] ? ctx.unbroadcast(dy[0], node.input(0), y) : '',
      needs[1] ? ctx.e.op('Neg', [ctx.unbroadcast(dy[0], node.input(1), y)]) : '',
    ];
  },
};
