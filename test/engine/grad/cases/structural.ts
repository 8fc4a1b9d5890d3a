/**
 * Per-op gradient check cases of the structural family (normalisation, shape and reduction ops) at
 * several opsets, as data: ops.structural.test.ts checks each against central differences,
 * registry.test.ts checks that every registered op has one.
 */
import { Rng } from '../../../../src/engine/util/random';
import type { NamedOpCase, OpCase } from '../opCheck';

const cases: NamedOpCase[] = [];
function check(name: string, c: OpCase): void {
  cases.push({ name, check: c });
}

/** n distinct values at least 0.1 apart in a seeded order (no ties for max-like ops). */
function spread(n: number, seed = 7): number[] {
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((k) => (k - n / 2) * 0.13 + 0.01);
}

const ints = (values: number[], dims: number[] = [values.length]) => ({ dims, data: values, int64: true });
const konst = (dims: number[], data?: number[]) => ({ dims, data, constant: true });
const absent = { dims: [], absent: true };

// ---- BatchNormalization ------------------------------------------------------------------------------

export const bnParams = (c: number, constant = true) => {
  const p = (data: number[]) => ({ dims: [c], data, constant });
  return [
    p([1.5, -0.7, 0.9, 2].slice(0, c)),
    p([0.1, 0.2, -0.3, 0.4].slice(0, c)),
    p([0.3, -0.2, 0.5, 0].slice(0, c)),
    p([0.5, 1.2, 2.0, 0.8].slice(0, c)),
  ];
};
check('opset 11 (version 9), NCHW, default epsilon', {
  op: 'BatchNormalization',
  opset: 11,
  inputs: [{ dims: [2, 3, 2, 2] }, ...bnParams(3)],
});
check('opset 14, training_mode=0, epsilon 1e-3', {
  op: 'BatchNormalization',
  opset: 14,
  attrs: { epsilon: 1e-3, training_mode: 0 },
  inputs: [{ dims: [2, 3, 2, 2] }, ...bnParams(3)],
});
check('opset 15, rank 2 [N, C], momentum ignored', {
  op: 'BatchNormalization',
  opset: 15,
  attrs: { momentum: 0.8 },
  inputs: [{ dims: [3, 4] }, ...bnParams(4)],
});
check('opset 17, rank 3 [N, C, L]', { op: 'BatchNormalization', inputs: [{ dims: [2, 2, 5] }, ...bnParams(2)] });
check('opset 21, rank 5', { op: 'BatchNormalization', opset: 21, inputs: [{ dims: [1, 2, 2, 2, 2] }, ...bnParams(2)] });
check('scale, B, mean and var differentiated too', { op: 'BatchNormalization', inputs: [{ dims: [2, 3, 2] }, ...bnParams(3, false)] });

// ---- InstanceNormalization --------------------------------------------------------------------------

check('opset 11, NCHW, constant scale/B', {
  op: 'InstanceNormalization',
  opset: 11,
  inputs: [{ dims: [2, 3, 2, 3] }, konst([3], [1.2, -0.5, 0.8]), konst([3], [0.1, 0, -0.2])],
});
check('rank 3, epsilon 1e-3, scale/B differentiated', {
  op: 'InstanceNormalization',
  attrs: { epsilon: 1e-3 },
  inputs: [{ dims: [2, 2, 5] }, { dims: [2] }, { dims: [2] }],
});
check('opset 21, rank 5', {
  op: 'InstanceNormalization',
  opset: 21,
  inputs: [{ dims: [1, 2, 2, 2, 2] }, konst([2], [0.7, 1.3]), konst([2], [0.5, -0.5])],
});

// ---- LayerNormalization -----------------------------------------------------------------------------

check('default axis -1, constant Scale and B', {
  op: 'LayerNormalization',
  inputs: [{ dims: [2, 3, 4] }, konst([4], [1, -0.5, 2, 0.7]), konst([4], [0.1, 0.2, 0.3, 0.4])],
});
// B omitted (not passed as ''): onnxruntime 1.30 crashes creating a session with an explicit '' B when graph optimisations are on.
check('axis 1 over [C,H,W], B omitted', {
  op: 'LayerNormalization',
  attrs: { axis: 1 },
  inputs: [{ dims: [2, 3, 2, 2] }, konst([3, 2, 2])],
});
check('axis 0 (whole tensor), epsilon 1e-2', {
  op: 'LayerNormalization',
  attrs: { axis: 0, epsilon: 1e-2 },
  inputs: [{ dims: [2, 3] }, konst([2, 3]), konst([2, 3])],
});
check('axis -2 with Mean and InvStdDev outputs seeded', {
  op: 'LayerNormalization',
  attrs: { axis: -2 },
  outputs: 3,
  inputs: [{ dims: [2, 3, 4] }, konst([3, 4]), konst([3, 4])],
});
check('only the Mean and InvStdDev outputs seeded', {
  op: 'LayerNormalization',
  outputs: 3,
  seededOutputs: [1, 2],
  inputs: [{ dims: [3, 4] }, { dims: [4] }, { dims: [4] }],
});
check('Scale and B differentiated, stash_type=1', {
  op: 'LayerNormalization',
  attrs: { stash_type: 1 },
  inputs: [{ dims: [2, 3, 4] }, { dims: [4] }, { dims: [4] }],
});
check('opset 18, Scale broadcast over the normalised shape', {
  op: 'LayerNormalization',
  opset: 18,
  attrs: { axis: 1 },
  inputs: [{ dims: [2, 3, 4] }, { dims: [1, 4] }, { dims: [3, 1] }],
});

// ---- Flatten / Reshape / Transpose / Squeeze / Unsqueeze --------------------------------------------

check('default axis 1, opset 11', { op: 'Flatten', opset: 11, inputs: [{ dims: [2, 3, 2] }] });
check('axis 0', { op: 'Flatten', attrs: { axis: 0 }, inputs: [{ dims: [2, 3, 2] }] });
check('axis -1', { op: 'Flatten', attrs: { axis: -1 }, inputs: [{ dims: [2, 3, 2] }] });
check('axis = rank', { op: 'Flatten', opset: 13, attrs: { axis: 3 }, inputs: [{ dims: [2, 3, 2] }] });

check('shape with -1, opset 11', { op: 'Reshape', opset: 11, inputs: [{ dims: [2, 3, 2] }, ints([-1, 6])] });
check('shape with 0 (copy) and -1', { op: 'Reshape', opset: 13, inputs: [{ dims: [2, 3, 2] }, ints([0, -1, 2, 1])] });
check('allowzero=1, explicit shape', { op: 'Reshape', opset: 14, attrs: { allowzero: 1 }, inputs: [{ dims: [2, 3, 2] }, ints([3, 4])] });
check('to a scalar', { op: 'Reshape', inputs: [{ dims: [1, 1] }, ints([], [0])] });

check('default perm (reversed)', { op: 'Transpose', opset: 11, inputs: [{ dims: [2, 3, 4] }] });
check('NCHW → NHWC', { op: 'Transpose', attrs: { perm: [0, 2, 3, 1] }, inputs: [{ dims: [2, 3, 2, 2] }] });
check('non-involutive perm', { op: 'Transpose', attrs: { perm: [2, 0, 1] }, inputs: [{ dims: [2, 3, 4] }] });

check('axes attribute, opset 11', { op: 'Squeeze', opset: 11, attrs: { axes: [1, 3] }, inputs: [{ dims: [2, 1, 3, 1] }] });
check('axes input, negative axis, opset 13', { op: 'Squeeze', opset: 13, inputs: [{ dims: [2, 3, 1] }, ints([-1])] });
check('axes absent (all 1-dims)', { op: 'Squeeze', inputs: [{ dims: [1, 3, 1, 2] }] });
check('axes input, opset 21', { op: 'Squeeze', opset: 21, inputs: [{ dims: [1, 3, 1, 2] }, ints([0])] });

check('axes attribute, opset 11', { op: 'Unsqueeze', opset: 11, attrs: { axes: [0, 3] }, inputs: [{ dims: [2, 3] }] });
check('axes input with negative axes, opset 13', { op: 'Unsqueeze', opset: 13, inputs: [{ dims: [2, 3] }, ints([-1, 1])] });
check('axes input, opset 18', { op: 'Unsqueeze', opset: 18, inputs: [{ dims: [3] }, ints([0])] });

// ---- CumSum ------------------------------------------------------------------------------------------

check('axis 1', { op: 'CumSum', inputs: [{ dims: [2, 4, 3] }, ints([1], [])] });
check('negative axis, exclusive', { op: 'CumSum', inputs: [{ dims: [3, 5] }, ints([-1], [])], attrs: { exclusive: 1 } });
check('reverse', { op: 'CumSum', inputs: [{ dims: [4, 3] }, ints([0], [])], attrs: { reverse: 1 } });
check('reverse and exclusive (opset 11)', {
  op: 'CumSum',
  opset: 11,
  inputs: [{ dims: [2, 5] }, ints([1], [])],
  attrs: { reverse: 1, exclusive: 1 },
});

// ---- ScatterND --------------------------------------------------------------------------------------

check('rows replaced (reduction none)', { op: 'ScatterND', inputs: [{ dims: [4, 3] }, ints([1, 3], [2, 1]), { dims: [2, 3] }] });
check('slices of the last axis replaced, rank 3', {
  op: 'ScatterND',
  inputs: [{ dims: [2, 3, 2] }, ints([0, 1, 1, 2, 1, 0], [3, 2]), { dims: [3, 2] }],
});
check('reduction add (opset 16)', {
  op: 'ScatterND',
  opset: 16,
  inputs: [{ dims: [4, 3] }, ints([2, 0], [2, 1]), { dims: [2, 3] }],
  attrs: { reduction: 'add' },
});

// ---- DepthToSpace / SpaceToDepth --------------------------------------------------------------------

check('DCR, block 2', { op: 'DepthToSpace', attrs: { blocksize: 2 }, inputs: [{ dims: [2, 8, 2, 3] }] });
check('CRD, block 2', { op: 'DepthToSpace', attrs: { blocksize: 2, mode: 'CRD' }, inputs: [{ dims: [2, 8, 2, 3] }] });
check('CRD, block 3 (opset 11)', {
  op: 'DepthToSpace',
  opset: 11,
  attrs: { blocksize: 3, mode: 'CRD' },
  inputs: [{ dims: [1, 9, 2, 2] }],
});
check('block 2', { op: 'SpaceToDepth', attrs: { blocksize: 2 }, inputs: [{ dims: [2, 3, 4, 6] }] });

// ---- Concat / Split ---------------------------------------------------------------------------------

check('axis 1, two inputs, opset 11', { op: 'Concat', opset: 11, attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 2] }, { dims: [2, 1, 2] }] });
check('axis -1, three inputs, the middle one constant', {
  op: 'Concat',
  attrs: { axis: -1 },
  inputs: [{ dims: [2, 2] }, konst([2, 3]), { dims: [2, 1] }],
});
check('axis 0', { op: 'Concat', attrs: { axis: 0 }, inputs: [{ dims: [1, 3] }, { dims: [2, 3] }] });
check('a single input', { op: 'Concat', attrs: { axis: 0 }, inputs: [{ dims: [2, 3] }] });

check('split attribute, uneven, opset 11', {
  op: 'Split',
  opset: 11,
  attrs: { axis: 1, split: [1, 3] },
  outputs: 2,
  inputs: [{ dims: [2, 4, 2] }],
});
check('equal parts without split, opset 11', { op: 'Split', opset: 11, outputs: 3, inputs: [{ dims: [3, 2] }] });
check('split input, negative axis, opset 13', {
  op: 'Split',
  opset: 13,
  attrs: { axis: -1 },
  outputs: 3,
  inputs: [{ dims: [2, 4] }, ints([2, 1, 1])],
});
check('num_outputs 3 over 7 (3, 3, 1), opset 18', {
  op: 'Split',
  opset: 18,
  attrs: { axis: 1, num_outputs: 3 },
  outputs: 3,
  inputs: [{ dims: [2, 7] }],
});
check('num_outputs 2, even, opset 21', { op: 'Split', opset: 21, attrs: { num_outputs: 2 }, outputs: 2, inputs: [{ dims: [4, 2] }] });
check('the middle output receives no gradient', {
  op: 'Split',
  opset: 13,
  attrs: { axis: 1 },
  outputs: 3,
  seededOutputs: [0, 2],
  inputs: [{ dims: [2, 5] }, ints([1, 2, 2])],
});
check('only the last output seeded, opset 18', {
  op: 'Split',
  opset: 18,
  attrs: { num_outputs: 2 },
  outputs: 2,
  seededOutputs: [1],
  inputs: [{ dims: [4, 3] }],
});
check('a single output', { op: 'Split', outputs: 1, inputs: [{ dims: [2, 3] }] });

// ---- Slice ------------------------------------------------------------------------------------------

check('starts/ends only, opset 11', { op: 'Slice', opset: 11, inputs: [{ dims: [4, 5] }, ints([1, 2]), ints([3, 4])] });
check('axes given, one axis', { op: 'Slice', inputs: [{ dims: [2, 5, 3] }, ints([1]), ints([4]), ints([1])] });
check('negative starts/ends and negative axes', {
  op: 'Slice',
  inputs: [{ dims: [2, 5, 4] }, ints([-4, -3]), ints([-1, 4]), ints([-2, -1])],
});
check('clamping to the dims (±1000, 2^53−1)', {
  op: 'Slice',
  opset: 13,
  inputs: [
    { dims: [3, 4] },
    { dims: [2], int64: true, data: [-1000, 1] },
    { dims: [2], int64: true, data: [1000, Number.MAX_SAFE_INTEGER] },
  ],
});
check('step 2', { op: 'Slice', inputs: [{ dims: [2, 7] }, ints([1]), ints([7]), ints([1]), ints([2])] });
check('step 3 with an end that is not reached', { op: 'Slice', inputs: [{ dims: [3, 8] }, ints([0]), ints([7]), ints([1]), ints([3])] });
check('step -1, full reversal', { op: 'Slice', inputs: [{ dims: [2, 5] }, ints([-1]), ints([-1000]), ints([1]), ints([-1])] });
check('step -2 from the middle', { op: 'Slice', inputs: [{ dims: [2, 7] }, ints([5]), ints([0]), ints([-1]), ints([-2])] });
check('step 1 on one axis, step 2 and -1 on others', {
  op: 'Slice',
  inputs: [{ dims: [3, 6, 4] }, ints([1, 0, 3]), ints([3, 6, 0]), ints([0, 1, 2]), ints([1, 2, -1])],
});
check("axes absent ('') with steps given", { op: 'Slice', inputs: [{ dims: [5, 4] }, ints([4, 0]), ints([0, 4]), absent, ints([-2, 3])] });
check('full range on one axis (no-op), opset 18', {
  op: 'Slice',
  opset: 18,
  inputs: [{ dims: [3, 4] }, ints([0, 1]), { dims: [2], int64: true, data: [Number.MAX_SAFE_INTEGER, 3] }],
});

// ---- Gather / GatherElements ------------------------------------------------------------------------

check('axis 0, 1-D indices, opset 11', { op: 'Gather', opset: 11, inputs: [{ dims: [4, 3] }, ints([2, 0])] });
check('axis 1, negative indices', { op: 'Gather', attrs: { axis: 1 }, inputs: [{ dims: [2, 4, 2] }, ints([-1, 1, -4])] });
check('scalar index', { op: 'Gather', attrs: { axis: 1 }, inputs: [{ dims: [2, 3, 2] }, ints([-2], [])] });
check('scalar index on axis 0', { op: 'Gather', inputs: [{ dims: [3, 2] }, ints([1], [])] });
check('2-D indices with repeats accumulate', {
  op: 'Gather',
  opset: 13,
  attrs: { axis: 1 },
  inputs: [{ dims: [2, 3, 2] }, ints([0, 2, 2, 0, 0, -1], [2, 3])],
});
check('axis -1, 2-D indices', { op: 'Gather', attrs: { axis: -1 }, inputs: [{ dims: [2, 2, 3] }, ints([1, 1, 2, 0], [2, 2])] });

check('axis 0', { op: 'GatherElements', inputs: [{ dims: [3, 2] }, ints([0, 2, 1, 1], [2, 2])] });
check('axis -1, negative and repeated indices, opset 11', {
  op: 'GatherElements',
  opset: 11,
  attrs: { axis: -1 },
  inputs: [{ dims: [2, 3] }, ints([-1, 0, 0, 2, 1, -3, 1, 1], [2, 4])],
});

// ---- Reductions -------------------------------------------------------------------------------------

const r24 = { dims: [2, 3, 4], data: spread(24) };
const reductionCases = (op: string, attrOpset: number, inputOpset: number): void => {
  check(`axes attribute, keepdims default, opset ${attrOpset}`, { op, opset: attrOpset, attrs: { axes: [1] }, inputs: [r24] });
  check(`axes attribute, keepdims 0, negative axes, opset ${attrOpset}`, {
    op,
    opset: attrOpset,
    attrs: { axes: [-1, 0], keepdims: 0 },
    inputs: [r24],
  });
  check(`axes absent (all), keepdims 0, opset ${attrOpset}`, { op, opset: attrOpset, attrs: { keepdims: 0 }, inputs: [r24] });
  check(`axes input, opset ${inputOpset}`, { op, opset: inputOpset, inputs: [r24, ints([0, 2])] });
  check(`axes input, keepdims 0, opset ${inputOpset}`, { op, opset: inputOpset, attrs: { keepdims: 0 }, inputs: [r24, ints([-2])] });
  check(`axes absent (all), opset ${inputOpset}`, { op, opset: inputOpset, inputs: [r24] });
  check(`empty axes input reduces all, opset ${inputOpset}`, {
    op,
    opset: inputOpset,
    attrs: { keepdims: 0 },
    inputs: [r24, ints([], [0])],
  });
  check(`noop_with_empty_axes=1, axes absent, opset ${inputOpset}`, {
    op,
    opset: inputOpset,
    attrs: { noop_with_empty_axes: 1 },
    inputs: [r24],
  });
  check(`noop_with_empty_axes=1, empty axes input, opset 21`, {
    op,
    opset: 21,
    attrs: { noop_with_empty_axes: 1, keepdims: 0 },
    inputs: [r24, ints([], [0])],
  });
  check(`noop_with_empty_axes=1 with axes given, opset ${inputOpset}`, {
    op,
    opset: inputOpset,
    attrs: { noop_with_empty_axes: 1, keepdims: 0 },
    inputs: [r24, ints([1])],
  });
};
reductionCases('ReduceMean', 11, 18);
check('axes attribute, opset 17', { op: 'ReduceMean', opset: 17, attrs: { axes: [2, 3] }, inputs: [{ dims: [2, 3, 2, 2] }] });
reductionCases('ReduceSum', 11, 13);
check('axes attribute, opset 12', { op: 'ReduceSum', opset: 12, attrs: { axes: [1], keepdims: 0 }, inputs: [r24] });
reductionCases('ReduceMax', 11, 18);
check('axes attribute, opset 13', { op: 'ReduceMax', opset: 13, attrs: { axes: [2], keepdims: 0 }, inputs: [r24] });
reductionCases('ReduceL2', 11, 18);
reductionCases('ReduceSumSquare', 11, 18);
reductionCases('ReduceLogSumExp', 11, 18);

export const STRUCTURAL_CASES: readonly NamedOpCase[] = cases;
