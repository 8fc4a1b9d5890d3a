import type { OpGradient } from '../types';

/** LeakyRelu: dx = dy where x > 0, α·dy elsewhere. */
export const leakyReluGradient: OpGradient = {
  opType: 'LeakyRelu',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const alpha = node.float('alpha', 0.01);
    return [e.op('Where', [e.op('Greater', [node.input(0), e.scalar(0)]), dy[0], e.op('Mul', [dy[0], e.scalar(alpha)])])];
  },
};
