import type { OpGradient } from '../types';
import { spatialDims } from './spatialUtil';

/** GlobalAveragePool: dx = dy / (H·W·…) broadcast over the spatial axes. */
export const globalAveragePoolGradient: OpGradient = {
  opType: 'GlobalAveragePool',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const count = spatialDims(node, ctx, x).reduce((a, b) => a * b, 1);
    return [e.op('Expand', [e.op('Mul', [dy[0], e.scalar(1 / count)]), e.shapeOf(x)])];
  },
};
