import type { OpGradient } from '../types';

/** HardSigmoid, y = max(0, min(1, αx + β)): dx = α·dy inside the linear band 0 < y < 1, 0 outside. */
export const hardSigmoidGradient: OpGradient = {
  opType: 'HardSigmoid',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const y = node.outputs[0];
    const alpha = node.float('alpha', 0.2);
    const band = e.op('And', [e.op('Greater', [y, e.scalar(0)]), e.op('Less', [y, e.scalar(1)])]);
    return [e.op('Where', [band, e.op('Mul', [dy[0], e.scalar(alpha)]), e.scalar(0)])];
  },
};
