/**
 * Per-op gradient check cases of the spatial family (Conv, ConvTranspose, MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, Pad, Resize), as data: ops.spatial.test.ts checks each against
 * central differences, registry.test.ts checks that every registered op has one.
 */
import { attr } from '../../../../src/engine/onnx/build';
import { Rng } from '../../../../src/engine/util/random';
import type { NamedOpCase, OpCase } from '../opCheck';

const cases: NamedOpCase[] = [];
function check(name: string, c: OpCase): void {
  cases.push({ name, check: c });
}

/** Distinct values 0.1 apart in shuffled order (no ties within 2× the finite-difference step). */
function distinct(n: number, seed = 7): number[] {
  const rng = new Rng(seed);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

export const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const x = (...dims: number[]) => ({ dims });
const w = (...dims: number[]) => ({ dims, constant: true });
export const distinctX = (...dims: number[]) => ({ dims, data: distinct(size(dims)) });
const i64 = (data: number[]) => ({ dims: [data.length], data, int64: true });
const f32 = (data: number[]) => ({ dims: [data.length], data, constant: true });
const absent = { dims: [0], absent: true };

// ---- Conv ---------------------------------------------------------------------------------------------

check('2-D, constant weights', { op: 'Conv', inputs: [x(1, 2, 5, 5), w(3, 2, 3, 3)] });
check('2-D, weights and bias differentiated', { op: 'Conv', inputs: [x(2, 2, 5, 4), x(3, 2, 3, 2), x(3)] });
check('strides 2, asymmetric pads, size not divisible by the stride', {
  op: 'Conv',
  inputs: [x(1, 2, 6, 5), x(2, 2, 3, 3)],
  attrs: { strides: [2, 2], pads: [1, 0, 1, 1] },
});
check('strides 3 leaving uncovered trailing inputs', {
  op: 'Conv',
  inputs: [x(1, 1, 8, 7), x(2, 1, 2, 2), x(2)],
  attrs: { strides: [3, 3] },
});
check('dilations and pads', { op: 'Conv', inputs: [x(1, 2, 7, 6), x(2, 2, 3, 2)], attrs: { dilations: [2, 1], pads: [2, 1, 1, 0] } });
check('dilations with strides', {
  op: 'Conv',
  inputs: [x(1, 1, 9, 8), x(2, 1, 3, 3)],
  attrs: { dilations: [2, 2], strides: [2, 3], pads: [1, 1, 0, 2] },
});
check('group 2', { op: 'Conv', inputs: [x(1, 4, 5, 5), x(6, 2, 3, 3), x(6)], attrs: { group: 2, pads: [1, 1, 1, 1] } });
check('depthwise (group = C), strides 2', {
  op: 'Conv',
  inputs: [x(2, 3, 5, 6), x(3, 1, 3, 3)],
  attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
});
check('depthwise with channel multiplier 2', { op: 'Conv', inputs: [x(1, 2, 5, 5), x(4, 1, 2, 3)], attrs: { group: 2, strides: [2, 1] } });
check('auto_pad SAME_UPPER, strides 2, odd total pad', {
  op: 'Conv',
  inputs: [x(1, 2, 5, 6), x(2, 2, 4, 3)],
  attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
});
check('auto_pad SAME_LOWER, strides 2, odd total pad', {
  op: 'Conv',
  inputs: [x(1, 2, 5, 6), x(2, 2, 4, 3)],
  attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] },
});
check('auto_pad SAME_UPPER, stride larger than kernel (negative pad_needed)', {
  op: 'Conv',
  inputs: [x(1, 1, 5, 5), x(1, 1, 1, 2)],
  attrs: { auto_pad: 'SAME_UPPER', strides: [3, 3] },
});
check('auto_pad SAME_LOWER, stride larger than kernel (negative pad_needed)', {
  op: 'Conv',
  inputs: [x(1, 1, 5, 7), x(1, 1, 1, 2)],
  attrs: { auto_pad: 'SAME_LOWER', strides: [3, 3] },
});
check('auto_pad VALID, strides 2', { op: 'Conv', inputs: [x(1, 2, 6, 7), x(2, 2, 3, 3)], attrs: { auto_pad: 'VALID', strides: [2, 2] } });
check('kernel_shape attribute present', {
  op: 'Conv',
  inputs: [x(1, 2, 5, 5), x(2, 2, 3, 2)],
  attrs: { kernel_shape: [3, 2], pads: [1, 0, 1, 0] },
});
check('1-D with strides, pads, dilations, weights and bias', {
  op: 'Conv',
  inputs: [x(2, 2, 9), x(3, 2, 3), x(3)],
  attrs: { strides: [2], pads: [1, 2], dilations: [2] },
});
check('3-D with strides and pads', {
  op: 'Conv',
  inputs: [x(1, 2, 4, 5, 3), x(2, 2, 2, 3, 2), x(2)],
  attrs: { strides: [2, 1, 1], pads: [0, 1, 1, 1, 0, 0] },
});
check('3-D grouped', { op: 'Conv', inputs: [x(1, 4, 3, 4, 3), x(2, 2, 2, 2, 2)], attrs: { group: 2, strides: [1, 2, 1] } });
check('opset 11', { op: 'Conv', opset: 11, inputs: [x(1, 2, 5, 5), x(2, 2, 3, 3), x(2)], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } });
check('opset 21, group 2 with strides and dilations', {
  op: 'Conv',
  opset: 21,
  inputs: [x(1, 4, 7, 7), x(4, 2, 2, 2)],
  attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [1, 0, 0, 1] },
});

// ---- ConvTranspose ------------------------------------------------------------------------------------

check('2-D, constant weights', { op: 'ConvTranspose', inputs: [x(1, 2, 3, 3), w(2, 3, 3, 3)] });
check('strides, pads, output_padding, weights and bias', {
  op: 'ConvTranspose',
  inputs: [x(1, 2, 3, 4), x(2, 3, 3, 3), x(3)],
  attrs: { strides: [2, 2], pads: [1, 1, 0, 1], output_padding: [1, 0] },
});
check('dilations and group 2', {
  op: 'ConvTranspose',
  inputs: [x(2, 4, 3, 3), x(4, 1, 2, 2)],
  attrs: { group: 2, dilations: [2, 2], strides: [1, 2] },
});
check('depthwise (group = C) with strides', {
  op: 'ConvTranspose',
  inputs: [x(1, 3, 3, 3), x(3, 1, 3, 3), x(3)],
  attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
});
check('output_shape attribute', {
  op: 'ConvTranspose',
  inputs: [x(1, 2, 3, 3), x(2, 2, 4, 3)],
  attrs: { strides: [2, 2], output_shape: [7, 6] },
});
check('output_shape one longer than the natural size', {
  op: 'ConvTranspose',
  inputs: [x(1, 1, 3, 3), x(1, 2, 2, 2)],
  attrs: { strides: [2, 2], output_shape: [7, 6] },
});
check('output_shape with auto_pad SAME_UPPER', {
  op: 'ConvTranspose',
  inputs: [x(1, 2, 3, 3), x(2, 2, 4, 4)],
  attrs: { strides: [2, 2], output_shape: [5, 6], auto_pad: 'SAME_UPPER' },
});
check('output_shape with auto_pad SAME_LOWER', {
  op: 'ConvTranspose',
  inputs: [x(1, 2, 3, 3), x(2, 2, 4, 4)],
  attrs: { strides: [2, 2], output_shape: [5, 6], auto_pad: 'SAME_LOWER' },
});
check('auto_pad SAME_UPPER, strides 2', {
  op: 'ConvTranspose',
  inputs: [x(1, 2, 3, 3), x(2, 2, 3, 4), x(2)],
  attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
});
check('auto_pad SAME_LOWER, strides 2', {
  op: 'ConvTranspose',
  inputs: [x(1, 2, 3, 3), x(2, 2, 3, 4)],
  attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] },
});
check('auto_pad VALID', { op: 'ConvTranspose', inputs: [x(1, 2, 3, 2), x(2, 1, 3, 2)], attrs: { auto_pad: 'VALID', strides: [2, 1] } });
check('1-D with weights', {
  op: 'ConvTranspose',
  inputs: [x(2, 2, 4), x(2, 3, 3), x(3)],
  attrs: { strides: [3], pads: [1, 2], output_padding: [2], dilations: [1] },
});
check('opset 11', {
  op: 'ConvTranspose',
  opset: 11,
  inputs: [x(1, 2, 3, 3), x(2, 2, 3, 3)],
  attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
});

// ---- MaxPool ------------------------------------------------------------------------------------------

check('overlapping 3×3 windows with pads', {
  op: 'MaxPool',
  inputs: [distinctX(2, 2, 5, 5)],
  attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
});
check('strides 2 with ceil_mode', {
  op: 'MaxPool',
  inputs: [distinctX(1, 2, 6, 7)],
  attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
});
check('ceil_mode with asymmetric pads', {
  op: 'MaxPool',
  inputs: [distinctX(1, 1, 7, 6)],
  attrs: { kernel_shape: [2, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 },
});
check('dilations', { op: 'MaxPool', inputs: [distinctX(1, 2, 7, 7)], attrs: { kernel_shape: [2, 3], dilations: [2, 2], strides: [1, 2] } });
check('auto_pad SAME_UPPER', {
  op: 'MaxPool',
  inputs: [distinctX(1, 2, 5, 6)],
  attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
});
check('auto_pad SAME_LOWER', {
  op: 'MaxPool',
  inputs: [distinctX(1, 2, 5, 6)],
  attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' },
});
check('1-D', { op: 'MaxPool', inputs: [distinctX(2, 2, 9)], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] } });
check('3-D', { op: 'MaxPool', inputs: [distinctX(1, 2, 4, 4, 3)], attrs: { kernel_shape: [2, 2, 2], strides: [2, 1, 1] } });
check('with the Indices output in the forward graph', {
  op: 'MaxPool',
  inputs: [distinctX(1, 2, 4, 5)],
  outputs: 2,
  seededOutputs: [0],
  attrs: { kernel_shape: [2, 2] },
});
check('opset 11', {
  op: 'MaxPool',
  opset: 11,
  inputs: [distinctX(1, 2, 5, 5)],
  attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
});

// ---- AveragePool --------------------------------------------------------------------------------------

for (const cip of [0, 1]) {
  const tag = `count_include_pad ${cip}`;
  check(`${tag}: overlapping windows with pads`, {
    op: 'AveragePool',
    inputs: [x(1, 2, 5, 5)],
    attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: cip },
  });
  check(`${tag}: strides, asymmetric pads`, {
    op: 'AveragePool',
    inputs: [x(1, 2, 6, 7)],
    attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 2, 1], count_include_pad: cip },
  });
  check(`${tag}: ceil_mode`, {
    op: 'AveragePool',
    inputs: [x(1, 2, 6, 7)],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, count_include_pad: cip },
  });
  check(`${tag}: ceil_mode with pads`, {
    op: 'AveragePool',
    inputs: [x(1, 1, 5, 8)],
    attrs: { kernel_shape: [3, 3], strides: [2, 3], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: cip },
  });
  check(`${tag}: ceil_mode, last window starting in the pad is dropped`, {
    op: 'AveragePool',
    inputs: [x(1, 1, 4, 4)],
    attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1, count_include_pad: cip },
  });
  check(`${tag}: auto_pad SAME_UPPER`, {
    op: 'AveragePool',
    inputs: [x(1, 2, 5, 6)],
    attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_UPPER', count_include_pad: cip },
  });
  check(`${tag}: auto_pad SAME_LOWER`, {
    op: 'AveragePool',
    inputs: [x(1, 2, 5, 6)],
    attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_LOWER', count_include_pad: cip },
  });
  check(`${tag}: opset 19 dilations with pads`, {
    op: 'AveragePool',
    opset: 19,
    inputs: [x(1, 2, 7, 6)],
    attrs: { kernel_shape: [2, 3], dilations: [2, 2], pads: [1, 1, 1, 0], count_include_pad: cip },
  });
  check(`${tag}: opset 19 dilations with ceil_mode`, {
    op: 'AveragePool',
    opset: 19,
    inputs: [x(1, 1, 8, 7)],
    attrs: { kernel_shape: [2, 2], dilations: [2, 1], strides: [2, 2], pads: [1, 0, 1, 1], ceil_mode: 1, count_include_pad: cip },
  });
  check(`${tag}: 1-D`, {
    op: 'AveragePool',
    inputs: [x(2, 2, 9)],
    attrs: { kernel_shape: [3], strides: [2], pads: [1, 1], count_include_pad: cip },
  });
  check(`${tag}: 3-D`, {
    op: 'AveragePool',
    inputs: [x(1, 2, 4, 5, 3)],
    attrs: { kernel_shape: [2, 3, 2], strides: [2, 2, 1], pads: [1, 1, 0, 0, 1, 1], count_include_pad: cip },
  });
}
check('auto_pad SAME_LOWER, stride larger than kernel', {
  op: 'AveragePool',
  inputs: [x(1, 1, 7, 7)],
  attrs: { kernel_shape: [2, 2], strides: [3, 3], auto_pad: 'SAME_LOWER' },
});
check('auto_pad SAME_LOWER, stride larger than kernel', {
  op: 'MaxPool',
  inputs: [distinctX(1, 1, 7, 7)],
  attrs: { kernel_shape: [2, 2], strides: [3, 3], auto_pad: 'SAME_LOWER' },
});
check('auto_pad VALID', {
  op: 'AveragePool',
  inputs: [x(1, 2, 6, 7)],
  attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID' },
});
check('opset 11 with ceil_mode and count_include_pad', {
  op: 'AveragePool',
  opset: 11,
  inputs: [x(1, 2, 6, 6)],
  attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 },
});
check('opset 21', {
  op: 'AveragePool',
  opset: 21,
  inputs: [x(1, 2, 5, 5)],
  attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 },
});

// ---- Global pools -------------------------------------------------------------------------------------

check('2-D', { op: 'GlobalAveragePool', inputs: [x(2, 3, 4, 5)] });
check('1-D', { op: 'GlobalAveragePool', inputs: [x(2, 3, 5)] });
check('3-D, opset 11', { op: 'GlobalAveragePool', opset: 11, inputs: [x(1, 2, 2, 3, 2)] });
check('2-D', { op: 'GlobalMaxPool', inputs: [distinctX(2, 3, 4, 5)] });
check('1-D', { op: 'GlobalMaxPool', inputs: [distinctX(2, 3, 5)] });
check('3-D, opset 11', { op: 'GlobalMaxPool', opset: 11, inputs: [distinctX(1, 2, 2, 3, 2)] });

// ---- Pad ----------------------------------------------------------------------------------------------

check('constant, opset 11, constant_value given', {
  op: 'Pad',
  opset: 11,
  inputs: [x(1, 2, 3, 4), i64([0, 0, 1, 2, 0, 1, 2, 1]), f32([0.5])],
  attrs: { mode: 'constant' },
});
check('constant, default value, opset 13', { op: 'Pad', opset: 13, inputs: [x(2, 3, 4), i64([1, 0, 2, 0, 3, 1])] });
check('constant, negative pads crop', { op: 'Pad', inputs: [x(1, 2, 5, 4), i64([0, 0, -1, 2, 0, 0, 1, -2])] });
check('constant, only cropping', { op: 'Pad', inputs: [x(2, 5, 4), i64([0, -2, -1, 0, -1, 0])] });
check('constant, differentiable constant_value', { op: 'Pad', inputs: [x(1, 2, 3, 3), i64([0, 0, 1, 1, 0, 0, 2, 0]), { dims: [] }] });
check('constant, opset 18 axes input', { op: 'Pad', opset: 18, inputs: [x(1, 2, 3, 4), i64([1, 2, 2, -1]), absent, i64([2, -1])] });
for (const mode of ['reflect', 'edge']) {
  check(`${mode}, opset 11`, { op: 'Pad', opset: 11, inputs: [x(1, 2, 4, 5), i64([0, 0, 2, 3, 0, 0, 1, 2])], attrs: { mode } });
  check(`${mode}, pads up to the (cropped) size − 1 and negative pads`, {
    op: 'Pad',
    inputs: [x(1, 1, 4, 5), i64([0, 0, 2, -1, 0, 0, -1, 3])],
    attrs: { mode },
  });
  check(`${mode}, opset 18 axes input`, {
    op: 'Pad',
    opset: 18,
    inputs: [x(2, 3, 4), i64([2, 1, 1, 2]), absent, i64([-1, 1])],
    attrs: { mode },
  });
}
check('wrap, opset 19', { op: 'Pad', opset: 19, inputs: [x(1, 2, 3, 4), i64([0, 0, 2, 3, 0, 0, 1, 2])], attrs: { mode: 'wrap' } });
check('wrap, opset 21, pads up to the size, trailing pad beyond it, negative pads', {
  op: 'Pad',
  opset: 21,
  inputs: [x(1, 2, 3, 4), i64([0, 0, 3, -1, 0, 0, 4, 5])],
  attrs: { mode: 'wrap' },
});
check('wrap with axes input', {
  op: 'Pad',
  opset: 19,
  inputs: [x(2, 3, 4), i64([1, 2, 2, 1]), absent, i64([1, 2])],
  attrs: { mode: 'wrap' },
});
check('edge, differentiable constant_value gets zero', {
  op: 'Pad',
  inputs: [x(1, 3, 3), i64([0, 1, 1, 0, 1, 1]), { dims: [] }],
  attrs: { mode: 'edge' },
});

// ---- Resize -------------------------------------------------------------------------------------------

const scales = (...s: number[]) => f32(s);
const noRoi = { dims: [0], data: [], constant: true };
const noScales = { dims: [0], data: [], constant: true };

const nearestCases: [string, Record<string, string>, number[], number[]][] = [
  [
    'asymmetric + floor, ×2 (the nearest-2× fast path)',
    { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    [1, 2, 3, 3],
    [1, 1, 2, 2],
  ],
  ['asymmetric + floor, ×3 / ×1.5', { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, [1, 2, 3, 4], [1, 1, 3, 1.5]],
  ['half_pixel + round_prefer_floor, ×2', {}, [1, 2, 3, 3], [1, 1, 2, 2]],
  ['half_pixel + round_prefer_ceil, ×2.5 / ×0.5', { nearest_mode: 'round_prefer_ceil' }, [1, 2, 3, 6], [1, 1, 2.5, 0.5]],
  ['half_pixel + ceil, ×1.7 / ×0.6', { nearest_mode: 'ceil' }, [1, 1, 4, 5], [1, 1, 1.7, 0.6]],
  ['asymmetric + round_prefer_floor, exact half-way ties', { coordinate_transformation_mode: 'asymmetric' }, [1, 1, 3, 4], [1, 1, 2, 2]],
  [
    'asymmetric + round_prefer_ceil, exact half-way ties',
    { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' },
    [1, 1, 3, 4],
    [1, 1, 2, 2],
  ],
  ['align_corners, ×2.4 / ×0.5', { coordinate_transformation_mode: 'align_corners' }, [1, 2, 5, 4], [1, 1, 2.4, 0.5]],
  ['pytorch_half_pixel, ×3 / down to length 1', { coordinate_transformation_mode: 'pytorch_half_pixel' }, [1, 1, 3, 4], [1, 1, 3, 0.25]],
  ['tf_half_pixel_for_nn, ×1.5', { coordinate_transformation_mode: 'tf_half_pixel_for_nn' }, [1, 2, 4, 4], [1, 1, 1.5, 1.5]],
];
for (const [name, attrs, dims, s] of nearestCases) {
  check(`nearest, ${name}`, { op: 'Resize', inputs: [x(...dims), absent, scales(...s)], attrs: { mode: 'nearest', ...attrs } });
}

const linearCases: [string, Record<string, string>, number[], number[]][] = [
  ['half_pixel, ×2', {}, [1, 2, 3, 4], [1, 1, 2, 2]],
  ['half_pixel, ×1.5 / ×0.5 (clamped borders)', {}, [1, 2, 4, 6], [1, 1, 1.5, 0.5]],
  ['align_corners, ×2.5 / ×0.6', { coordinate_transformation_mode: 'align_corners' }, [1, 2, 4, 5], [1, 1, 2.5, 0.6]],
  ['asymmetric, ×3 / ×0.75', { coordinate_transformation_mode: 'asymmetric' }, [1, 1, 3, 4], [1, 1, 3, 0.75]],
  [
    'pytorch_half_pixel, ×1.7 / down to length 1',
    { coordinate_transformation_mode: 'pytorch_half_pixel' },
    [1, 2, 3, 4],
    [1, 1, 1.7, 0.25],
  ],
  ['NHWC scales [1, s, s, 1]', {}, [1, 3, 4, 2], [1, 2, 1.5, 1]],
];
for (const [name, attrs, dims, s] of linearCases) {
  check(`linear, ${name}`, { op: 'Resize', inputs: [x(...dims), absent, scales(...s)], attrs: { mode: 'linear', ...attrs } });
}
check('linear, half_pixel_symmetric (opset 19), ×1.5 / ×0.6', {
  op: 'Resize',
  opset: 19,
  inputs: [x(1, 2, 4, 5), absent, scales(1, 1, 1.5, 0.6)],
  attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' },
});
check('nearest, half_pixel_symmetric (opset 19) with sizes', {
  op: 'Resize',
  opset: 19,
  inputs: [x(1, 2, 4, 5), absent, absent, i64([1, 2, 7, 3])],
  attrs: { mode: 'nearest', coordinate_transformation_mode: 'half_pixel_symmetric' },
});
check('linear, tf_crop_and_resize with roi and extrapolation', {
  op: 'Resize',
  inputs: [x(1, 2, 4, 5), f32([0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3]), absent, i64([1, 2, 5, 6])],
  attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: attr.float(0.5) },
});
check('nearest, tf_crop_and_resize with roi and extrapolation', {
  op: 'Resize',
  inputs: [x(1, 2, 4, 5), f32([0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3]), absent, i64([1, 2, 5, 6])],
  attrs: { mode: 'nearest', coordinate_transformation_mode: 'tf_crop_and_resize' },
});
check('linear, opset 11 with sizes (empty roi and scales)', {
  op: 'Resize',
  opset: 11,
  inputs: [x(1, 2, 3, 4), noRoi, noScales, i64([1, 2, 5, 7])],
  attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
});
check('nearest, opset 11 with scales (empty roi)', {
  op: 'Resize',
  opset: 11,
  inputs: [x(1, 2, 3, 4), noRoi, scales(1, 1, 2, 1.5)],
  attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
});
check('nearest, opset 11 default (half_pixel, round_prefer_floor) with sizes', {
  op: 'Resize',
  opset: 11,
  inputs: [x(1, 2, 3, 4), noRoi, noScales, i64([1, 2, 7, 2])],
  attrs: { mode: 'nearest' },
});
check('linear, opset 13 with sizes (out/in scales)', {
  op: 'Resize',
  opset: 13,
  inputs: [x(1, 2, 3, 5), absent, absent, i64([1, 2, 7, 3])],
  attrs: { mode: 'linear' },
});
check('linear, opset 18 scales with axes', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 3, 4), absent, scales(2, 0.5)],
  attrs: { mode: 'linear', axes: [2, 3] },
});
check('nearest, opset 18 sizes with negative axes', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 3, 4), absent, absent, i64([7, 6])],
  attrs: { mode: 'nearest', axes: [-2, -1] },
});
check('linear, opset 18 keep_aspect_ratio_policy not_larger', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 3, 4), absent, absent, i64([7, 6])],
  attrs: { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' },
});
check('nearest, opset 18 keep_aspect_ratio_policy not_smaller', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 3, 4), absent, absent, i64([7, 6])],
  attrs: { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' },
});
check('linear, opset 21 half_pixel ×1.3', {
  op: 'Resize',
  opset: 21,
  inputs: [x(2, 2, 3, 4), absent, scales(1, 1, 1.3, 1.3)],
  attrs: { mode: 'linear' },
});
check('nearest, 3-D volume', { op: 'Resize', inputs: [x(1, 1, 2, 3, 2), absent, scales(1, 1, 2, 1.5, 2)], attrs: { mode: 'nearest' } });
check('linear, 5-D trilinear', { op: 'Resize', inputs: [x(1, 1, 2, 3, 2), absent, scales(1, 1, 2, 1.5, 1.5)], attrs: { mode: 'linear' } });
check('linear, rank 2', { op: 'Resize', inputs: [x(3, 4), absent, scales(1.5, 2)], attrs: { mode: 'linear' } });
check('cubic, half_pixel ×2', { op: 'Resize', inputs: [x(1, 2, 3, 4), absent, scales(1, 1, 2, 2)], attrs: { mode: 'cubic' } });
check('cubic, align_corners ×1.5 / ×0.6, cubic_coeff_a −0.5', {
  op: 'Resize',
  inputs: [x(1, 1, 4, 5), absent, scales(1, 1, 1.5, 0.6)],
  attrs: { mode: 'cubic', coordinate_transformation_mode: 'align_corners', cubic_coeff_a: attr.float(-0.5) },
});
check('cubic, exclude_outside, asymmetric ×1.7 / ×2', {
  op: 'Resize',
  inputs: [x(1, 2, 3, 4), absent, scales(1, 1, 1.7, 2)],
  attrs: { mode: 'cubic', coordinate_transformation_mode: 'asymmetric', exclude_outside: 1 },
});
check('cubic, tf_crop_and_resize with extrapolation', {
  op: 'Resize',
  inputs: [x(1, 1, 4, 5), f32([0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3]), absent, i64([1, 1, 5, 6])],
  attrs: { mode: 'cubic', coordinate_transformation_mode: 'tf_crop_and_resize' },
});
check('linear, opset 18 antialias, downscale ×0.5 / ×0.6', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 6, 5), absent, scales(1, 1, 0.5, 0.6)],
  attrs: { mode: 'linear', antialias: 1 },
});
check('linear, opset 18 antialias, upscale ×1.5 / unchanged width', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 4, 5), absent, scales(1, 1, 1.5, 1)],
  attrs: { mode: 'linear', antialias: 1 },
});
check('linear, opset 18 antialias with exclude_outside and sizes', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 1, 7, 6), absent, absent, i64([1, 1, 3, 4])],
  attrs: { mode: 'linear', antialias: 1, exclude_outside: 1 },
});
check('linear, opset 19 antialias, half_pixel_symmetric', {
  op: 'Resize',
  opset: 19,
  inputs: [x(1, 1, 7, 6), absent, scales(1, 1, 0.4, 0.7)],
  attrs: { mode: 'linear', antialias: 1, coordinate_transformation_mode: 'half_pixel_symmetric' },
});
check('cubic, opset 18 antialias, downscale', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 2, 8, 7), absent, scales(1, 1, 0.5, 0.45)],
  attrs: { mode: 'cubic', antialias: 1 },
});
check('cubic, opset 18 antialias with exclude_outside, pytorch_half_pixel', {
  op: 'Resize',
  opset: 18,
  inputs: [x(1, 1, 8, 7), absent, scales(1, 1, 0.5, 1.5)],
  attrs: { mode: 'cubic', antialias: 1, exclude_outside: 1, coordinate_transformation_mode: 'pytorch_half_pixel' },
});

export const SPATIAL_CASES: readonly NamedOpCase[] = cases;
