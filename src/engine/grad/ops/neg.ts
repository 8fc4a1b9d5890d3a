import type { OpGradient } from '../types';

/** Neg: dx = −dy. */
export const negGradient: OpGradient = {
  opType: 'Neg',
  gradient: ({ dy, ctx }) => [ctx.e.op('Neg', [dy[0]])],
};
