import type { OpGradient } from '../types';
import { normAxis } from './common';
import { isBatchAxis } from './structuralUtil';

/**
 * Concat: dx_i = the slice of dy along `axis` that input i occupies. Static offsets use Slice; when the
 * axis follows the batch size, a Split by the inputs' runtime lengths along it.
 */
export const concatGradient: OpGradient = {
  opType: 'Concat',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const axis = normAxis(node.int('axis'), ctx.rank(node.inputs[0]));
    if (node.inputs.some((x) => isBatchAxis(ctx, x, axis))) {
      const sizes = e.op(
        'Concat',
        node.inputs.map((x) => e.op('Shape', [x], { start: axis, end: axis + 1 })),
        { axis: 0 },
      );
      const parts = e.node('Split', [dy[0], sizes], { axis }, node.inputs.length);
      return parts.map((p, i) => (needs[i] ? p : ''));
    }
    let offset = 0;
    return node.inputs.map((x, i) => {
      const len = ctx.shape(x).dims[axis];
      const start = offset;
      offset += len;
      return needs[i] ? e.op('Slice', [dy[0], e.int64([start]), e.int64([start + len]), e.int64([axis])]) : '';
    });
  },
};
