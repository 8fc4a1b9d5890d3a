import type { OpGradient } from '../types';

/** Expand (numpy broadcasting to a shape): dx = dy summed over the broadcast axes, back to x's shape. */
export const expandGradient: OpGradient = {
  opType: 'Expand',
  gradient: ({ node, dy, needs, ctx }) => [needs[0] ? ctx.unbroadcast(dy[0], node.input(0), node.outputs[0]) : '', ''],
};
