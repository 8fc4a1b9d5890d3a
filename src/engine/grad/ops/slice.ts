import type { Emitter } from '../emitter';
import type { OpGradient } from '../types';
import { normAxis, zerosLike } from './common';
import { range, staticInts } from './structuralUtil';

/** Index values at or beyond this count as "to the end" (exporters use INT_MAX / INT64_MAX). */
const TO_END = 2 ** 31 - 1;

interface AxisSlice {
  axis: number;
  start: number;
  step: number;
  len: number;
  dim: number;
}

/** First index read and number of elements along one axis, with ONNX's negative-index and clamping rules. */
function resolve(start: number, end: number, step: number, dim: number): { start: number; len: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let t = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    t = clamp(t, 0, dim);
    return { start: s, len: Math.max(0, Math.ceil((t - s) / step)) };
  }
  s = clamp(s, 0, dim - 1);
  t = clamp(t, -1, dim - 1);
  return { start: s, len: dim === 0 ? 0 : Math.max(0, Math.ceil((s - t) / -step)) };
}

/** Zeros with g's runtime shape except `dim` along `axis`, and g scattered into them at start + j·step. */
function scatterAlong(e: Emitter, g: string, rank: number, s: AxisSlice): string {
  const shapeParts = [
    ...(s.axis > 0 ? [e.op('Shape', [g], { end: s.axis })] : []),
    e.int64([s.dim]),
    ...(s.axis < rank - 1 ? [e.op('Shape', [g], { start: s.axis + 1 })] : []),
  ];
  const zeros = e.op('ConstantOfShape', [shapeParts.length === 1 ? shapeParts[0] : e.op('Concat', shapeParts, { axis: 0 })]);
  const idxDims = range(0, rank).map((a) => (a === s.axis ? s.len : 1));
  const idx = e.int64(
    range(0, s.len).map((j) => s.start + j * s.step),
    idxDims,
  );
  return e.op('ScatterElements', [zeros, e.op('Expand', [idx, e.shapeOf(g)]), g], { axis: s.axis });
}

/**
 * Slice (starts/ends/axes/steps as static inputs, negative indices, clamping, any nonzero step): dy goes
 * back where it was read from, zeros elsewhere — one Pad for the unit-step axes, and ScatterElements with a
 * static index map along each axis with another step.
 */
export const sliceGradient: OpGradient = {
  opType: 'Slice',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const { dims, batchDims } = ctx.shape(x);
    const rank = dims.length;
    const starts = ctx.requireConstant(node, node.input(1), 'starts');
    const ends = ctx.requireConstant(node, node.input(2), 'ends');
    const axes = staticInts(node, ctx, 3, 'axes') ?? range(0, starts.length);
    const steps = staticInts(node, ctx, 4, 'steps') ?? starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
      node.fail(`starts, ends, axes and steps have different lengths (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`);
    }
    const outDims = ctx.shape(node.outputs[0]).dims;
    const slices: AxisSlice[] = [];
    for (let k = 0; k < starts.length; k++) {
      const axis = normAxis(axes[k], rank);
      const step = steps[k];
      if (step === 0) node.fail('a step of 0');
      if (batchDims[axis]) {
        if (step === 1 && (starts[k] === 0 || starts[k] <= -TO_END) && ends[k] >= TO_END) continue;
        node.fail(`slicing axis ${axis}, whose length follows the batch size (only the full range is supported there)`);
      }
      const { start, len } = resolve(starts[k], ends[k], step, dims[axis]);
      if (len !== outDims[axis]) node.fail(`axis ${axis}: computed ${len} elements but the output has ${outDims[axis]}`);
      if (len === 0) return [zerosLike(e, x)];
      if (step === 1 && start === 0 && len === dims[axis]) continue;
      slices.push({ axis, start, step, len, dim: dims[axis] });
    }
    let g = dy[0];
    for (const s of slices) if (s.step !== 1) g = scatterAlong(e, g, rank, s);
    const unit = slices.filter((s) => s.step === 1);
    if (unit.length === 0) return [g];
    const pads = new Array<number>(2 * rank).fill(0);
    for (const s of unit) {
      pads[s.axis] = s.start;
      pads[rank + s.axis] = s.dim - s.start - s.len;
    }
    return [e.op('Pad', [g, e.int64(pads)])];
  },
};
