import type { OpGradient } from '../types';

/** Erf: dx = dy·(2/√π)·e^(−x²). */
export const erfGradient: OpGradient = {
  opType: 'Erf',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const gauss = e.op('Exp', [e.op('Neg', [e.op('Mul', [x, x])])]);
    return [e.op('Mul', [dy[0], e.op('Mul', [gauss, e.scalar(2 / Math.sqrt(Math.PI))])])];
  },
};
