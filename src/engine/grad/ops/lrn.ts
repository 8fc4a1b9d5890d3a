import type { OpGradient } from '../types';

/**
 * LRN across channels: y_c = x_c · d_c^(−β), d_c = bias + (α/size)·Σ_{k ∈ W(c)} x_k², the window W(c) running
 * from c − ⌊(size−1)/2⌋ to c + ⌈(size−1)/2⌉. Then
 *   dx_i = dy_i · d_i^(−β) − (2αβ/size) · x_i · Σ_{c : i ∈ W(c)} dy_c · x_c · d_c^(−β−1),
 * the last sum running over the mirrored window (pads swapped). Both window sums are an AveragePool along
 * the channel axis of [N, 1, C, H·W] with zero padding, times size.
 */
export const lrnGradient: OpGradient = {
  opType: 'LRN',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const size = node.int('size');
    const alpha = node.float('alpha', 1e-4);
    const beta = node.float('beta', 0.75);
    const bias = node.float('bias', 1);
    const [before, after] = [Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2)];
    const mul = (a: string, b: string) => e.op('Mul', [a, b]);
    const windowSum = (t: string, lo: number, hi: number) => {
      const flat = e.op('Reshape', [t, e.int64([0, 1, ctx.shape(x).dims[1], -1])]);
      const pooled = e.op('AveragePool', [flat], { kernel_shape: [size, 1], pads: [lo, 0, hi, 0], count_include_pad: 1 });
      return e.reshapeLike(mul(pooled, e.scalar(size)), x);
    };
    const d = e.op('Add', [e.scalar(bias), mul(e.scalar(alpha / size), windowSum(mul(x, x), before, after))]);
    const dPowNegBeta = e.op('Pow', [d, e.scalar(-beta)]);
    const g = mul(mul(dy[0], x), e.op('Div', [dPowNegBeta, d]));
    const back = mul(mul(e.scalar((2 * alpha * beta) / size), x), windowSum(g, after, before));
    return [e.op('Sub', [mul(dy[0], dPowNegBeta), back])];
  },
};
