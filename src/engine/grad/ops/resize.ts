import type { OpGradient } from '../types';
import { normAxes } from './common';
import { applyTransposedAlong, resizeMatrix, type ResizeAxis } from './spatialUtil';

const f32 = Math.fround;

/**
 * Resize (nearest, linear, cubic; antialias): separable and linear in x, y = (A_0 ⊗ A_1 ⊗ …)·x with one
 * small [out, in] matrix per resized axis that depends only on static shapes, so dx applies each A_aᵀ in
 * turn (MatMul with a constant). The matrices follow onnxruntime's float32 coordinate transforms
 * (half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
 * tf_crop_and_resize with its roi; extrapolated outputs get no gradient), nearest_mode rounding, linear
 * clamping, cubic_coeff_a / exclude_outside, and its antialiased filters; the scales come from `scales`,
 * or from `sizes` as out/in adjusted by keep_aspect_ratio_policy, restricted to the `axes` attribute.
 */
export const resizeGradient: OpGradient = {
  opType: 'Resize',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const [x, roiName, scalesName, sizesName] = [node.input(0), node.input(1), node.input(2), node.input(3)];
    const xs = ctx.shape(x);
    const ys = ctx.shape(node.outputs[0]).dims;
    const rank = xs.dims.length;
    const mode = node.string('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') node.fail(`mode "${mode}" is not supported`);
    const kind = mode as ResizeAxis['mode'];
    const transform = node.string('coordinate_transformation_mode', 'half_pixel');
    const axes = normAxes(node.ints('axes', []), rank);
    const chosen = (i: number) => axes.length === 0 || axes.includes(i);
    const expand = (values: number[], fill: number): number[] => {
      if (axes.length === 0) return values;
      const out = new Array<number>(rank).fill(fill);
      axes.forEach((a, i) => {
        out[a] = values[i];
      });
      return out;
    };

    const given = scalesName ? ctx.constant(scalesName) : undefined;
    let scales: number[];
    if (scalesName && !given) node.fail(`scales ("${scalesName}") must be static`);
    if (given && given.length > 0) {
      scales = expand(Array.from(given, f32), 1);
    } else {
      if (!sizesName) node.fail('neither scales nor sizes is given');
      const policy = node.string('keep_aspect_ratio_policy', 'stretch');
      const sizes = ctx.constant(sizesName);
      if (!sizes && policy !== 'stretch') node.fail(`sizes ("${sizesName}") must be static with keep_aspect_ratio_policy "${policy}"`);
      const outLens = sizes ? expand(Array.from(sizes), 0).map((v, i) => (chosen(i) ? v : xs.dims[i])) : ys;
      scales = outLens.map((o, i) => (xs.dims[i] === 0 ? 1 : f32(o / xs.dims[i])));
      if (policy === 'not_larger' || policy === 'not_smaller') {
        const picked = scales.filter((_, i) => chosen(i));
        const s = policy === 'not_larger' ? Math.min(...picked) : Math.max(...picked);
        scales = scales.map((_, i) => (chosen(i) ? s : 1));
      } else if (policy !== 'stretch') node.fail(`keep_aspect_ratio_policy "${policy}" is not supported`);
    }
    if (scales.length !== rank) node.fail(`scales has ${scales.length} values for a rank-${rank} input`);

    let roi: number[] = Array.from({ length: 2 * rank }, (_, i) => (i < rank ? 0 : 1));
    if (transform === 'tf_crop_and_resize') {
      const r = ctx.requireConstant(node, roiName, 'roi');
      roi = axes.length === 0 ? r : [...expand(r.slice(0, axes.length), 0), ...expand(r.slice(axes.length), 1)];
      if (roi.length !== 2 * rank) node.fail(`roi has ${roi.length} values for a rank-${rank} input`);
    }

    let g = dy[0];
    for (let a = 0; a < rank; a++) {
      const spec: ResizeAxis = {
        mode: kind,
        transform,
        nearestMode: node.string('nearest_mode', 'round_prefer_floor'),
        scale: scales[a],
        antialias: node.int('antialias', 0) !== 0,
        cubicCoeffA: node.float('cubic_coeff_a', -0.75),
        excludeOutside: node.int('exclude_outside', 0) !== 0,
        inLen: xs.dims[a],
        outLen: ys[a],
        roiStart: roi[a],
        roiEnd: roi[a + rank],
        identityWhenUnscaled: mode !== 'nearest' || rank > 1,
      };
      const m = resizeMatrix(spec, (what) => node.fail(what));
      if (!m) continue;
      if (xs.batchDims[a]) node.fail(`resizing axis ${a}, which follows the batch size, is not supported`);
      g = applyTransposedAlong(e, g, rank, a, m, spec.outLen, spec.inLen);
    }
    return [g];
  },
};
