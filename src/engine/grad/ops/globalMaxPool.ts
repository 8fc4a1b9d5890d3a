import { attr } from '../../onnx/build';
import type { OpGradient } from '../types';
import { scatterAddFlat, spatialDims } from './spatialUtil';

/**
 * GlobalMaxPool: dy goes to the (first) maximum of each N·C slice, found as the Indices of a MaxPool whose
 * kernel spans the whole spatial extent, then scatter-added into zeros shaped like x.
 */
export const globalMaxPoolGradient: OpGradient = {
  opType: 'GlobalMaxPool',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const kernel = spatialDims(node, ctx, x);
    const [, indices] = e.node('MaxPool', [x], { kernel_shape: attr.ints(kernel) }, 2);
    return [scatterAddFlat(e, x, indices, dy[0])];
  },
};
