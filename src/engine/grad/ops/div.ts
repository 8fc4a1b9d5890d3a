import type { OpGradient } from '../types';

/** Div (numpy broadcasting), y = A/B: dA = Σ_broadcast dy/B, dB = −Σ_broadcast (dy/B)·y. */
export const divGradient: OpGradient = {
  opType: 'Div',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [a, b, y] = [node.input(0), node.input(1), node.outputs[0]];
    const q = e.op('Div', [dy[0], b]);
    return [needs[0] ? ctx.unbroadcast(q, a, y) : '', needs[1] ? e.op('Neg', [ctx.unbroadcast(e.op('Mul', [q, y]), b, y)]) : ''];
  },
};
