import { TensorDataType } from '../../onnx/tensorData';
import type { OpGradient } from '../types';
import { FLOAT_TYPES, typeCodeOf, whereElseZero } from './elementwiseUtil';

/**
 * Pow, y = x^p (numpy broadcasting): dx = Σ_broadcast dy·p·x^(p−1); dp = Σ_broadcast dy·y·ln x where
 * x > 0 (0 elsewhere, where y is not differentiable in p or is constant in it).
 */
export const powGradient: OpGradient = {
  opType: 'Pow',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [x, p, y] = [node.input(0), node.input(1), node.outputs[0]];
    let dx = '',
      dp = '';
    if (needs[0]) {
      const pc = ctx.constant(p);
      let local: string | null;
      if (pc && pc.length === 1 && pc[0] === 1) local = null;
      else if (pc && pc.length === 1 && pc[0] === 2) local = e.op('Mul', [x, e.scalar(2)]);
      else if (pc) {
        const dims = ctx.shape(p).dims;
        local = e.op('Mul', [
          e.float(Array.from(pc), dims),
          e.op('Pow', [
            x,
            e.float(
              Array.from(pc, (v) => v - 1),
              dims,
            ),
          ]),
        ]);
      } else {
        const pf = typeCodeOf(ctx, p) === TensorDataType.FLOAT ? p : e.op('Cast', [p], { to: TensorDataType.FLOAT });
        local = e.op('Mul', [pf, e.op('Pow', [x, e.op('Sub', [pf, e.scalar(1)])])]);
      }
      dx = ctx.unbroadcast(local ? e.op('Mul', [dy[0], local]) : dy[0], x, y);
    }
    if (needs[1]) {
      const t = typeCodeOf(ctx, p);
      if (t === undefined || !FLOAT_TYPES.has(t))
        node.fail(`the exponent "${p}" has type ${ctx.shape(p).type}: an integer exponent has no gradient`);
      const dlog = whereElseZero(e, e.op('Greater', [x, e.scalar(0)]), e.op('Mul', [y, e.op('Log', [x])]));
      dp = ctx.unbroadcast(e.op('Mul', [dy[0], dlog]), p, y);
    }
    return [dx, dp];
  },
};
