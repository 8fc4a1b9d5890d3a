import type { OpGradient } from '../types';

/** Where(c, X, Y) (numpy broadcasting): dX = Σ_broadcast dy where c, dY = Σ_broadcast dy where ¬c. */
export const whereGradient: OpGradient = {
  opType: 'Where',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [c, x, y, out] = [node.input(0), node.input(1), node.input(2), node.outputs[0]];
    const zero = e.scalar(0);
    return [
      '',
      needs[1] ? ctx.unbroadcast(e.op('Where', [c, dy[0], zero]), x, out) : '',
      needs[2] ? ctx.unbroadcast(e.op('Where', [c, zero, dy[0]]), y, out) : '',
    ];
  },
};
