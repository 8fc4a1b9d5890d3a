import type { OpGradient } from '../types';

/** Mean of n inputs (numpy broadcasting): dxᵢ = Σ_broadcast dy / n. */
export const meanGradient: OpGradient = {
  opType: 'Mean',
  gradient: ({ node, dy, needs, ctx }) => {
    const n = node.inputs.length;
    const scaled = n === 1 ? dy[0] : ctx.e.op('Mul', [dy[0], ctx.e.scalar(1 / n)]);
    return node.inputs.map((x, i) => (needs[i] ? ctx.unbroadcast(scaled, x, node.outputs[0]) : ''));
  },
};
