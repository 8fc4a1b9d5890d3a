import type { OpGradient } from '../types';
import { normAxis } from './common';
import { range } from './structuralUtil';

/**
 * Gather on data: dx = zeros of x's shape with dy added at the gathered positions (repeated indices
 * accumulate). The gathered axis is moved first so one ScatterND(reduction = add) does it:
 * dx' [D, pre…, post…] += dy' [idx…, pre…, post…] at idx, then moved back.
 */
export const gatherGradient: OpGradient = {
  opType: 'Gather',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const { dims, batchDims } = ctx.shape(x);
    const rank = dims.length;
    const axis = normAxis(node.int('axis', 0), rank);
    const ind = node.input(1);
    const q = ctx.rank(ind);
    // Negative indices count from the end of the axis (ScatterND wants them in range, and int64).
    const known = ctx.constant(ind);
    let indices: string;
    if (known && !batchDims[axis]) {
      indices = e.int64(
        Array.from(known, (v) => (v < 0 ? v + dims[axis] : v)),
        ctx.shape(ind).dims,
      );
    } else {
      const ind64 = ctx.shape(ind).type === 'int64' ? ind : e.op('Cast', [ind], { to: 7 });
      const len = batchDims[axis] ? e.squeeze(e.op('Shape', [x], { start: axis, end: axis + 1 }), [0]) : e.int64([dims[axis]], []);
      indices = e.op('Where', [e.op('Less', [ind64, e.int64([0], [])]), e.op('Add', [ind64, len]), ind64]);
    }
    indices = e.unsqueeze(indices, [q]);
    const toFront = [...range(axis, axis + q), ...range(0, axis), ...range(axis + q, rank - 1 + q)];
    const updates = toFront.every((p, i) => p === i) ? dy[0] : e.op('Transpose', [dy[0]], { perm: toFront });
    const frontShape =
      axis === 0 ? e.shapeOf(x) : e.op('Gather', [e.shapeOf(x), e.int64([axis, ...range(0, axis), ...range(axis + 1, rank)])]);
    const scattered = e.op('ScatterND', [e.op('ConstantOfShape', [frontShape]), indices, updates], { reduction: 'add' });
    if (axis === 0) return [scattered, ''];
    return [e.op('Transpose', [scattered], { perm: [...range(1, axis + 1), 0, ...range(axis + 1, rank)] }), ''];
  },
};
