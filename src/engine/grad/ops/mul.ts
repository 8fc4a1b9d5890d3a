import type { OpGradient } from '../types';

/** Mul (numpy broadcasting): dA = Σ_broadcast dy·B, dB = Σ_broadcast dy·A. */
export const mulGradient: OpGradient = {
  opType: 'Mul',
  gradient: ({ node, dy, needs, ctx }) => {
    const [a, b, y] = [node.input(0), node.input(1), node.outputs[0]];
    return [
      needs[0] ? ctx.unbroadcast(ctx.e.op('Mul', [dy[0], b]), a, y) : '',
      needs[1] ? ctx.unbroadcast(ctx.e.op('Mul', [dy[0], a]), b, y) : '',
    ];
  },
};
