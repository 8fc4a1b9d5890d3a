import { attr } from '../../onnx/build';
import type { OpGradient } from '../types';

/**
 * Gemm: Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B.
 * dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY (transposed back when the operand was), dC = β·Σ_broadcast dY.
 */
export const gemmGradient: OpGradient = {
  opType: 'Gemm',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [a, b, c] = [node.input(0), node.input(1), node.input(2)];
    const transA = node.int('transA', 0) !== 0;
    const transB = node.int('transB', 0) !== 0;
    const alpha = node.float('alpha', 1);
    const beta = node.float('beta', 1);
    const g = dy[0];
    const gemm = (x: string, y: string, tA: boolean, tB: boolean) =>
      e.op('Gemm', [x, y], { alpha: attr.float(alpha), transA: tA ? 1 : 0, transB: tB ? 1 : 0 });
    const dA = !needs[0] ? '' : transA ? gemm(b, g, transB, true) : gemm(g, b, false, !transB);
    const dB = !needs[1] ? '' : transB ? gemm(g, a, true, transA) : gemm(a, g, !transA, false);
    let dC = '';
    if (needs[2] && c) {
      const summed = ctx.unbroadcast(g, c, node.outputs[0]);
      dC = beta === 1 ? summed : e.op('Mul', [summed, e.scalar(beta)]);
    }
    return [dA, dB, dC];
  },
};
