import type { OpGradient } from '../types';

/**
 * Clip, y = min(max(x, lo), hi) with lo/hi optional scalar inputs (opset ≥ 11): with m = max(x, lo),
 * dx = dy where lo < x and m < hi; dlo = Σ dy where x < lo and lo < hi; dhi = Σ dy where m > hi
 * (exact also when lo > hi, where y = hi). Zero at the bounds themselves.
 */
export const clipGradient: OpGradient = {
  opType: 'Clip',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    if (node.has('min') || node.has('max')) {
      node.fail(
        'min/max given as attributes (the opset 6-10 form) are not supported: models older than opset 11 are rejected before differentiation',
      );
    }
    const [x, lo, hi] = [node.input(0), node.input(1), node.input(2)];
    const m = lo ? e.op('Max', [x, lo]) : x;
    const conds: string[] = [];
    if (lo) conds.push(e.op('Greater', [x, lo]));
    if (hi) conds.push(e.op('Less', [m, hi]));
    const both = (cs: string[]) => cs.reduce((acc, c) => e.op('And', [acc, c]));
    const masked = (cs: string[]) => (cs.length === 0 ? dy[0] : e.op('Where', [both(cs), dy[0], e.scalar(0)]));
    const total = (g: string, like: string) => e.reshapeLike(e.op('ReduceSum', [g], { keepdims: 0 }), like);
    const dx = needs[0] ? masked(conds) : '';
    const dLo = needs[1] && lo ? total(masked([e.op('Less', [x, lo]), ...(hi ? [e.op('Less', [lo, hi])] : [])]), lo) : '';
    const dHi = needs[2] && hi ? total(masked([e.op('Greater', [m, hi])]), hi) : '';
    return [dx, dLo, dHi];
  },
};
