import type { OpGradient } from '../types';
import { normAxes, zerosLike } from './common';
import { flatIndexLike, scatterAddFlat } from './spatialUtil';

const FAR = 2 ** 62;

/**
 * Pad (opset ≥ 11: pads as input, optional constant_value and, from 18, axes; negative pads crop).
 * constant mode (static pads): dx = Slice of dy at x's kept region, zero-padded back over the cropped part.
 * reflect / edge / wrap (static pads or not): the same Pad applied to an int64 image of flat element
 * indices gives, for each output element, the input element it copies; dy is scatter-added there (the
 * folded-back border contributions fall out exactly, whatever onnxruntime's rule at the edges).
 * d(constant_value) = Σ dy − Σ dx (the padded positions) in constant mode, 0 otherwise.
 */
export const padGradient: OpGradient = {
  opType: 'Pad',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [x, padsName, value, axesName] = [node.input(0), node.input(1), node.input(2), node.input(3)];
    if (!padsName) node.fail('pads given as an attribute (opset < 11) are not supported');
    const mode = node.string('mode', 'constant');
    if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) node.fail(`mode "${mode}" is not supported`);
    const rank = ctx.rank(x);
    const pads = ctx.constant(padsName);
    const axes = axesName ? ctx.constant(axesName) : Float64Array.from({ length: rank }, (_, i) => i);
    let dx: string;
    if (mode === 'constant' && pads && axes) {
      const ax = normAxes(Array.from(axes), rank);
      const starts: number[] = [],
        ends: number[] = [],
        sliced: number[] = [];
      const back = new Array<number>(2 * rank).fill(0);
      ax.forEach((a, i) => {
        const [pb, pe] = [pads[i], pads[i + ax.length]];
        if (pb === 0 && pe === 0) return;
        sliced.push(a);
        starts.push(Math.max(pb, 0));
        ends.push(pe > 0 ? -pe : FAR);
        back[a] = Math.max(-pb, 0);
        back[a + rank] = Math.max(-pe, 0);
      });
      dx = sliced.length === 0 ? dy[0] : e.op('Slice', [dy[0], e.int64(starts), e.int64(ends), e.int64(sliced)]);
      if (back.some((p) => p > 0)) dx = e.op('Pad', [dx, e.int64(back)]);
    } else {
      if (mode === 'constant') node.fail('constant mode needs static pads and axes (they depend on the input)');
      const source = e.op('Pad', axesName ? [flatIndexLike(e, x), padsName, '', axesName] : [flatIndexLike(e, x), padsName], { mode });
      dx = scatterAddFlat(e, x, source, dy[0]);
    }
    let dValue = '';
    if (needs[2] && value) {
      if (mode !== 'constant') dValue = zerosLike(e, value);
      else {
        const all = (t: string) => e.op('ReduceSum', [t], { keepdims: 0 });
        dValue = e.reshapeLike(e.op('Sub', [all(dy[0]), all(dx)]), value);
      }
    }
    return [dx, '', dValue, ''];
  },
};
