import type { OpGradient } from '../types';

/** Relu: dx = dy · [x > 0] (the subgradient 0 at x = 0, as PyTorch). */
export const reluGradient: OpGradient = {
  opType: 'Relu',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const positive = e.op('Greater', [node.input(0), e.float([0], [])]);
    const mask = e.op('Cast', [positive], { to: 1 });
    return [e.op('Mul', [dy[0], mask])];
  },
};
