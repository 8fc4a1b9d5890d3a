import type { OpGradient } from '../types';

/**
 * Gelu (opset 20), y = x·Φ(x). approximate="none": dx = dy·(Φ(x) + x·φ(x)) with Φ(x) = ½(1 + erf(x/√2)) and
 * φ(x) = e^(−x²/2)/√(2π). approximate="tanh": y = ½x(1 + t), t = tanh(u), u = √(2/π)(x + 0.044715x³), so
 * dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)).
 */
export const geluGradient: OpGradient = {
  opType: 'Gelu',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const approximate = node.string('approximate', 'none');
    const mul = (a: string, b: string) => e.op('Mul', [a, b]);
    const half = e.scalar(0.5);
    if (approximate === 'none') {
      const cdf = mul(half, e.op('Add', [e.scalar(1), e.op('Erf', [mul(x, e.scalar(Math.SQRT1_2))])]));
      const pdf = mul(e.op('Exp', [mul(mul(x, x), e.scalar(-0.5))]), e.scalar(1 / Math.sqrt(2 * Math.PI)));
      return [mul(dy[0], e.op('Add', [cdf, mul(x, pdf)]))];
    }
    if (approximate !== 'tanh') node.fail(`approximate="${approximate}" is not one of "none", "tanh"`);
    const k = Math.sqrt(2 / Math.PI);
    const x2 = mul(x, x);
    const u = mul(e.scalar(k), e.op('Add', [x, mul(e.scalar(0.044715), mul(x2, x))]));
    const t = e.op('Tanh', [u]);
    const du = mul(e.scalar(k), e.op('Add', [e.scalar(1), mul(e.scalar(3 * 0.044715), x2)]));
    const slope = e.op('Add', [
      mul(half, e.op('Add', [e.scalar(1), t])),
      mul(mul(half, x), mul(e.op('Sub', [e.scalar(1), mul(t, t)]), du)),
    ]);
    return [mul(dy[0], slope)];
  },
};
