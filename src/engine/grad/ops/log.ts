import type { OpGradient } from '../types';

/** Log: dx = dy / x. */
export const logGradient: OpGradient = {
  opType: 'Log',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    return [e.op('Div', [dy[0], node.input(0)])];
  },
};
