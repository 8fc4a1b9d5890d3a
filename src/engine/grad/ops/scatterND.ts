import type { OpGradient } from '../types';
import { zerosLike } from './common';

/**
 * ScatterND: data with the slices at `indices` replaced by `updates` (reduction "none") or added to them
 * ("add"). dUpdates = GatherND(dY, indices) either way; dData = dY with the overwritten slices zeroed
 * ("none") or dY itself ("add"). Duplicate indices under "none" leave the result unspecified by ONNX, and so
 * its gradient; "mul", "max" and "min" are refused.
 */
export const scatterNDGradient: OpGradient = {
  opType: 'ScatterND',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    const [, indices, updates] = [node.input(0), node.input(1), node.input(2)];
    const reduction = node.string('reduction', 'none');
    if (reduction !== 'none' && reduction !== 'add') node.fail(`reduction "${reduction}" is not supported (none and add are)`);
    const dData = needs[0] ? (reduction === 'add' ? dy[0] : e.op('ScatterND', [dy[0], indices, zerosLike(e, updates)])) : '';
    const dUpdates = needs[2] ? e.op('GatherND', [dy[0], indices]) : '';
    return [dData, '', dUpdates];
  },
};
