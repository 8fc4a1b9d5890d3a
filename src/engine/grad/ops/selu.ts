import type { OpGradient } from '../types';

/** Selu, y = γ·x (x > 0) else γ·α(eˣ − 1): dx = γ·dy where x > 0, dy·(y + γα) elsewhere. */
export const seluGradient: OpGradient = {
  opType: 'Selu',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const alpha = node.float('alpha', 1.67326319217681884765625);
    const gamma = node.float('gamma', 1.05070102214813232421875);
    const inner = e.op('Mul', [dy[0], e.op('Add', [node.outputs[0], e.scalar(gamma * alpha)])]);
    return [e.op('Where', [e.op('Greater', [node.input(0), e.scalar(0)]), e.op('Mul', [dy[0], e.scalar(gamma)]), inner])];
  },
};
