import type { OpGradient } from '../types';
import { sumToShape } from './elementwiseUtil';

/**
 * MatMul (numpy semantics): with 1-D operands promoted (A: [K] → [1,K], B: [K] → [K,1]) and the dropped
 * dims restored in dY, dA = dY·Bᵀ and dB = Aᵀ·dY, each summed over the batch axes its operand was
 * broadcast along and reshaped back to the operand's shape.
 */
export const matMulGradient: OpGradient = {
  opType: 'MatMul',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [a, b] = [node.input(0), node.input(1)];
    const da = ctx.shape(a).dims,
      db = ctx.shape(b).dims;
    if (da.length === 0 || db.length === 0) node.fail('scalar (rank-0) operands are not valid for MatMul');
    if (da.length === 1 && db.length === 1) {
      // Dot product: y = Σ a·b.
      return [needs[0] ? e.op('Mul', [dy[0], b]) : '', needs[1] ? e.op('Mul', [dy[0], a]) : ''];
    }
    const a2 = da.length === 1 ? [1, da[0]] : da;
    const b2 = db.length === 1 ? [db[0], 1] : db;
    const yDims = [...ctx.shape(node.outputs[0]).dims];
    let g = dy[0];
    if (da.length === 1) {
      yDims.splice(yDims.length - 1, 0, 1);
      g = e.unsqueeze(g, [yDims.length - 2]);
    }
    if (db.length === 1) {
      yDims.push(1);
      g = e.unsqueeze(g, [yDims.length - 1]);
    }
    const r = yDims.length;
    const batch = yDims.slice(0, r - 2);
    const swapLast = (x: string, rank: number) =>
      e.op('Transpose', [x], { perm: [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2] });
    const promoted = (x: string, dims: number[], axis: number) => (dims.length === 1 ? e.unsqueeze(x, [axis]) : x);
    let dA = '',
      dB = '';
    if (needs[0]) {
      const bT = swapLast(promoted(b, db, 1), b2.length);
      const full = e.op('MatMul', [g, bT]);
      dA = sumToShape(e, full, [...batch, a2[a2.length - 2], a2[a2.length - 1]], a, a2, da.length === 1);
    }
    if (needs[1]) {
      const aT = swapLast(promoted(a, da, 0), a2.length);
      const full = e.op('MatMul', [aT, g]);
      dB = sumToShape(e, full, [...batch, b2[b2.length - 2], b2[b2.length - 1]], b, b2, db.length === 1);
    }
    return [dA, dB];
  },
};
