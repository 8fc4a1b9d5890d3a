import type { OpGradient } from '../types';

/** Add with numpy broadcasting: each input receives dy summed over the axes it was broadcast along. */
export const addGradient: OpGradient = {
  opType: 'Add',
  gradient: ({ node, dy, needs, ctx }) => [0, 1].map((i) => (needs[i] ? ctx.unbroadcast(dy[0], node.input(i), node.outputs[0]) : '')),
};
