import type { OpGradient } from '../types';
import { normAxis, zerosLike } from './common';
import { countOver, expandLike, range, standardize, standardizeBackward } from './structuralUtil';

/**
 * LayerNormalization over axes [axis, rank): y = x̂·Scale + B with x̂ = (x − μ)·r, r = 1/√(σ²+ε).
 * From Y: dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·Scale; dScale = Σ dy·x̂, dB = Σ dy (unbroadcast).
 * From the optional outputs: Mean adds dμ/n, InvStdDev adds −dr·r²·x̂/n (n = normalised element count).
 */
export const layerNormalizationGradient: OpGradient = {
  opType: 'LayerNormalization',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [x, scale, bias] = [0, 1, 2].map((i) => node.input(i));
    const [y, meanOut] = node.outputs;
    const rank = ctx.rank(x);
    const axes = range(normAxis(node.int('axis', -1), rank), rank);
    if (node.int('stash_type', 1) !== 1 && (dy[1] || dy[2]))
      node.fail('Mean/InvStdDev outputs with stash_type ≠ 1 (not float32) on the gradient path');
    const { rstd, xhat } = standardize(e, x, axes, node.float('epsilon', 1e-5));
    const grads = ['', '', ''];
    if (needs[0]) {
      const parts: string[] = [];
      if (dy[0]) parts.push(standardizeBackward(e, e.op('Mul', [dy[0], scale]), xhat, rstd, axes));
      if (dy[1] || dy[2]) {
        const n = countOver(ctx, x, axes, meanOut || node.outputs[2]);
        if (dy[1]) parts.push(expandLike(e, e.op('Div', [dy[1], n]), x));
        if (dy[2]) parts.push(e.op('Div', [e.op('Mul', [e.op('Neg', [dy[2]]), e.op('Mul', [e.op('Mul', [rstd, rstd]), xhat])]), n]));
      }
      grads[0] = e.sum(parts);
    }
    if (needs[1]) grads[1] = dy[0] ? ctx.unbroadcast(e.op('Mul', [dy[0], xhat]), scale, y) : zerosLike(e, scale);
    if (needs[2] && bias) grads[2] = dy[0] ? ctx.unbroadcast(dy[0], bias, y) : zerosLike(e, bias);
    return grads;
  },
};
