import type { OpGradient } from '../types';

/**
 * PRelu, y = x (x > 0) else slope·x, slope broadcast to x: dx = dy where x > 0, slope·dy elsewhere;
 * dslope = Σ_broadcast dy·x where x ≤ 0.
 */
export const pReluGradient: OpGradient = {
  opType: 'PRelu',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [x, slope] = [node.input(0), node.input(1)];
    const positive = e.op('Greater', [x, e.scalar(0)]);
    const dx = needs[0] ? e.op('Where', [positive, dy[0], e.op('Mul', [dy[0], slope])]) : '';
    const dSlope = needs[1] ? ctx.unbroadcast(e.op('Where', [positive, e.scalar(0), e.op('Mul', [dy[0], x])]), slope, node.outputs[0]) : '';
    return [dx, dSlope];
  },
};
