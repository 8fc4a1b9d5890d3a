import type { OpGradient } from '../types';
import { zerosLike } from './common';

/** GatherElements: dx = ScatterElements(zeros of x's shape, indices, dy, axis, reduction = add). */
export const gatherElementsGradient: OpGradient = {
  opType: 'GatherElements',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const axis = node.int('axis', 0);
    return [e.op('ScatterElements', [zerosLike(e, x), node.input(1), dy[0]], { axis, reduction: 'add' }), ''];
  },
};
