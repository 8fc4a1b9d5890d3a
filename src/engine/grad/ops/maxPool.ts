import type { OpGradient } from '../types';
import { attrsOf, scatterAddFlat } from './spatialUtil';

/**
 * MaxPool: each output's gradient goes to the input element it took (onnxruntime keeps the first maximum,
 * like PyTorch). The same MaxPool is re-run with its Indices output (flat over N·C·spatial) and dy is
 * scatter-added (ScatterElements, reduction add) into zeros of x's flattened shape.
 */
export const maxPoolGradient: OpGradient = {
  opType: 'MaxPool',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    if (node.int('storage_order', 0) !== 0) node.fail('storage_order=1 (column-major Indices) is not supported');
    const x = node.input(0);
    const indices = node.outputs[1] || e.node('MaxPool', [x], attrsOf(node), 2)[1];
    return [scatterAddFlat(e, x, indices, dy[0])];
  },
};
