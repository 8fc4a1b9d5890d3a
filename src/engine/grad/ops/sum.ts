import type { OpGradient } from '../types';

/** Sum (variadic, numpy broadcasting): dxᵢ = Σ_broadcast dy. */
export const sumGradient: OpGradient = {
  opType: 'Sum',
  gradient: ({ node, dy, needs, ctx }) => node.inputs.map((x, i) => (needs[i] ? ctx.unbroadcast(dy[0], x, node.outputs[0]) : '')),
};
