import type { OpGradient } from '../types';

/** HardSwish, y = x·max(0, min(1, x/6 + ½)): dx = 0 for x < −3, dy·(x/3 + ½) for −3 ≤ x ≤ 3, dy for x > 3. */
export const hardSwishGradient: OpGradient = {
  opType: 'HardSwish',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const mid = e.op('Add', [e.op('Mul', [x, e.scalar(1 / 3)]), e.scalar(0.5)]);
    const slope = e.op('Where', [
      e.op('Less', [x, e.scalar(-3)]),
      e.scalar(0),
      e.op('Where', [e.op('Greater', [x, e.scalar(3)]), e.scalar(1), mid]),
    ]);
    return [e.op('Mul', [dy[0], slope])];
  },
};
