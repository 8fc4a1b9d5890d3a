import type { OpGradient } from '../types';

/** Elu, y = x (x > 0) else α(eˣ − 1): dx = dy where x > 0, dy·(y + α) elsewhere. */
export const eluGradient: OpGradient = {
  opType: 'Elu',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const alpha = node.float('alpha', 1);
    const inner = e.op('Mul', [dy[0], e.op('Add', [node.outputs[0], e.scalar(alpha)])]);
    return [e.op('Where', [e.op('Greater', [node.input(0), e.scalar(0)]), dy[0], inner])];
  },
};
