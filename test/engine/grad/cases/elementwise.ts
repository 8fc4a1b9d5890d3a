/**
 * Per-op gradient check cases of the elementwise/dense family (Gemm, MatMul, arithmetic, activations,
 * type and shape plumbing), as data: ops.elementwise.test.ts checks each against central differences,
 * registry.test.ts checks that every registered op has one. Inputs are kept away from kinks (ReLU-like
 * thresholds, band edges, clip bounds, max/min ties) unless the case is about them.
 */
import { attr, makeNode, makeTensor } from '../../../../src/engine/onnx/build';
import { TensorDataType } from '../../../../src/engine/onnx/tensorData';
import { Rng } from '../../../../src/engine/util/random';
import type { NamedOpCase, OpCase } from '../opCheck';

const cases: NamedOpCase[] = [];
function check(name: string, c: OpCase): void {
  cases.push({ name, check: c });
}

// ---- helpers ------------------------------------------------------------------------------------------

export const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Seeded normal values scaled by `scale`, pushed at least `gap` away from every kink. */
export function away(dims: number[], kinks: number[], seed = 7, scale = 1, gap = 0.1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count(dims) }, () => {
    let v = rng.normal() * scale;
    for (const k of kinks) if (Math.abs(v - k) < gap) v = k + (v >= k ? gap : -gap);
    return v;
  });
}

/** Seeded values uniform in [lo, hi]. */
function uniform(dims: number[], lo: number, hi: number, seed = 3): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count(dims) }, () => lo + (hi - lo) * rng.next());
}

/** Evenly spread distinct values in [lo, hi], shuffled (no ties between tensors made with different seeds/offsets). */
function spread(dims: number[], lo: number, hi: number, seed = 5): number[] {
  const n = count(dims);
  const rng = new Rng(seed);
  const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

// ---- Gemm ---------------------------------------------------------------------------------------------

for (const transA of [0, 1]) {
  for (const transB of [0, 1]) {
    check(`Gemm transA=${transA} transB=${transB}, alpha/beta, C [N] (A, B and C differentiated)`, {
      op: 'Gemm',
      inputs: [{ dims: transA ? [4, 3] : [3, 4] }, { dims: transB ? [5, 4] : [4, 5] }, { dims: [5] }],
      attrs: { transA, transB, alpha: 0.7, beta: attr.float(2) },
    });
  }
}
check('Gemm alpha written as a whole number (2.0), beta default', {
  op: 'Gemm',
  inputs: [{ dims: [2, 3] }, { dims: [3, 4] }, { dims: [2, 4] }],
  attrs: { alpha: attr.float(2) },
});
check('Gemm C [M,1] broadcast along columns', {
  op: 'Gemm',
  inputs: [{ dims: [3, 4] }, { dims: [4, 2] }, { dims: [3, 1] }],
  attrs: { beta: 0.5 },
});
check('Gemm C [1,N] broadcast along rows', { op: 'Gemm', inputs: [{ dims: [3, 4] }, { dims: [4, 2] }, { dims: [1, 2] }] });
check('Gemm C rank-0', { op: 'Gemm', inputs: [{ dims: [3, 4] }, { dims: [4, 2] }, { dims: [] }], attrs: { beta: -1.5 } });
check('Gemm without C (opset 11)', { op: 'Gemm', inputs: [{ dims: [3, 4] }, { dims: [2, 4] }], attrs: { transB: 1 }, opset: 11 });
check('Gemm without C (opset 13)', { op: 'Gemm', inputs: [{ dims: [4, 3] }, { dims: [4, 2] }], attrs: { transA: 1 }, opset: 13 });
check('Gemm dense layer: constant weight and bias (input gradient only)', {
  op: 'Gemm',
  inputs: [{ dims: [2, 6] }, { dims: [3, 6], constant: true }, { dims: [3], constant: true }],
  attrs: { transB: 1 },
});
check('Gemm constant input A, weight differentiated (opset 21)', {
  op: 'Gemm',
  inputs: [{ dims: [2, 3], constant: true }, { dims: [3, 4] }, { dims: [4], constant: true }],
  opset: 21,
});

// ---- Einsum ---------------------------------------------------------------------------------------------

const einsum = (equation: string, ...dims: number[][]): OpCase => ({
  op: 'Einsum',
  inputs: dims.map((d) => ({ dims: d })),
  attrs: { equation },
  opset: 12,
});
check('Einsum matrix product ij,jk->ik', einsum('ij,jk->ik', [3, 4], [4, 2]));
// MaxViT's attention, as torch exports it (capitals, spaces, batch dims).
check(
  'Einsum MaxViT scores "B G H I D, B G H J D -> B G H I J"',
  einsum('B G H I D, B G H J D -> B G H I J', [1, 2, 2, 3, 4], [1, 2, 2, 5, 4]),
);
check(
  'Einsum MaxViT output "B G H I J, B G H J D -> B G H I D"',
  einsum('B G H I J, B G H J D -> B G H I D', [1, 2, 2, 3, 5], [1, 2, 2, 5, 4]),
);
check('Einsum implicit output (ij,jk → ik)', einsum('ij,jk', [2, 3], [3, 4]));
check('Einsum with a letter only the first operand carries (summed away: broadcast back)', einsum('bij,jk->bk', [2, 3, 4], [4, 2]));
check('Einsum transpose and sum, one operand', einsum('ijk->ki', [2, 3, 4]));
check('Einsum three operands', einsum('ij,jk,kl->il', [2, 3], [3, 4], [4, 2]));
check('Einsum outer product', einsum('i,j->ij', [3], [4]));
check('Einsum with ellipsis batch dims', einsum('...ij,...jk->...ik', [2, 3, 4], [2, 4, 2]));
check('Einsum with a constant second operand (one gradient)', {
  op: 'Einsum',
  inputs: [{ dims: [2, 3] }, { dims: [3, 4], constant: true }],
  attrs: { equation: 'ij,jk->ik' },
  opset: 12,
});
check('Einsum diagonal of the constant operand', {
  op: 'Einsum',
  inputs: [{ dims: [3, 2] }, { dims: [3, 3], constant: true }],
  attrs: { equation: 'ij,ii->ij' },
  opset: 12,
});

// ---- QuantizeLinear / DequantizeLinear (straight-through estimates) -----------------------------------

const f32 = (name: string, dims: number[], data: number[]) => makeTensor(name, dims, Float32Array.from(data));
/** x → QuantizeLinear(sq, zq) → DequantizeLinear(sd, zd) → out0, against Clip(x, lo, hi) · (sd / sq). */
function qdqCase(
  op: 'QuantizeLinear' | 'DequantizeLinear',
  x: { dims: number[]; data: number[] },
  q: { scale: TensorInit; zeroPoint?: TensorInit; axis?: number },
  dq: { scale: TensorInit; zeroPoint?: TensorInit },
  bounds: { lo: TensorInit; hi: TensorInit; gain: number },
): OpCase {
  const inits = [q.scale, dq.scale, q.zeroPoint, dq.zeroPoint].flatMap((t) => (t ? [t.tensor] : []));
  const axis: Record<string, number> = q.axis === undefined ? {} : { axis: q.axis };
  return {
    op,
    inputs: [{ dims: x.dims, data: x.data }],
    straightThrough: {
      graph: {
        nodes: [
          makeNode('QuantizeLinear', ['in0', q.scale.name, ...(q.zeroPoint ? [q.zeroPoint.name] : [])], ['q'], axis),
          makeNode('DequantizeLinear', ['q', dq.scale.name, ...(dq.zeroPoint ? [dq.zeroPoint.name] : [])], ['out0'], axis),
        ],
        initializers: inits,
      },
      surrogate: {
        nodes: [
          makeNode('Max', ['in0', bounds.lo.name], ['low']),
          makeNode('Min', ['low', bounds.hi.name], ['clipped']),
          makeNode('Mul', ['clipped', 'gain'], ['out0']),
        ],
        initializers: [bounds.lo.tensor, bounds.hi.tensor, f32('gain', [], [bounds.gain])],
      },
    },
  };
}
interface TensorInit {
  name: string;
  tensor: ReturnType<typeof makeTensor>;
}
const init = (name: string, dims: number[], data: Float32Array | Uint8Array | Int8Array): TensorInit => ({
  name,
  tensor: makeTensor(name, dims, data),
});
// Inside the range the pair passes the gradient through; where it saturates, none (values kept ≥ one step
// away from the range's ends, where the rounded level and the clip could disagree by half a step).
const QDQ_X = { dims: [2, 5], data: [-1, -0.4, 0.3, 1.7, 4.2, 6.05, 9.9, 12.1, 13.5, 20] };
check(
  'QuantizeLinear → DequantizeLinear, uint8 per tensor: identity inside [0, 255·s], zero where it saturates',
  qdqCase(
    'QuantizeLinear',
    QDQ_X,
    { scale: init('sq', [], Float32Array.of(0.05)) },
    { scale: init('sd', [], Float32Array.of(0.05)) },
    {
      lo: init('lo', [], Float32Array.of(0)),
      hi: init('hi', [], Float32Array.of(12.75)),
      gain: 1,
    },
  ),
);
check(
  'QuantizeLinear → DequantizeLinear, int8 with zero point 3: range [(−128−3)·s, (127−3)·s]',
  qdqCase(
    'QuantizeLinear',
    { dims: [2, 4], data: [-20, -13.5, -12.9, -3.3, 0.04, 7.7, 12.2, 13] },
    { scale: init('sq', [], Float32Array.of(0.1)), zeroPoint: init('zq', [], Int8Array.of(3)) },
    { scale: init('sd', [], Float32Array.of(0.1)), zeroPoint: init('zd', [], Int8Array.of(3)) },
    { lo: init('lo', [], Float32Array.of(-13.1)), hi: init('hi', [], Float32Array.of(12.4)), gain: 1 },
  ),
);
check(
  'DequantizeLinear after QuantizeLinear with another scale: the gradient scales by s_dq / s_q',
  qdqCase(
    'DequantizeLinear',
    QDQ_X,
    { scale: init('sq', [], Float32Array.of(0.05)) },
    { scale: init('sd', [], Float32Array.of(0.1)) },
    {
      lo: init('lo', [], Float32Array.of(0)),
      hi: init('hi', [], Float32Array.of(12.75)),
      gain: 2,
    },
  ),
);
check(
  'QuantizeLinear → DequantizeLinear per channel (axis 1, uint8 zero points 0, 10, 128)',
  qdqCase(
    'QuantizeLinear',
    { dims: [2, 3, 2], data: [-0.5, 2.5, -0.9, 3.3, -14, 5.1, 6, 4.9, 13, 11.1, 0.2, 14] },
    { scale: init('sq', [3], Float32Array.of(0.02, 0.05, 0.1)), zeroPoint: init('zq', [3], Uint8Array.of(0, 10, 128)), axis: 1 },
    { scale: init('sd', [3], Float32Array.of(0.02, 0.05, 0.1)), zeroPoint: init('zd', [3], Uint8Array.of(0, 10, 128)) },
    { lo: init('lo', [1, 3, 1], Float32Array.of(0, -0.5, -12.8)), hi: init('hi', [1, 3, 1], Float32Array.of(5.1, 12.25, 12.7)), gain: 1 },
  ),
);

// ---- MatMul -------------------------------------------------------------------------------------------

check('MatMul 2-D × 2-D', { op: 'MatMul', inputs: [{ dims: [3, 4] }, { dims: [4, 5] }] });
check('MatMul 2-D × 2-D (opset 11)', { op: 'MatMul', inputs: [{ dims: [3, 4] }, { dims: [4, 2] }], opset: 11 });
check('MatMul 1-D × 1-D (dot product)', { op: 'MatMul', inputs: [{ dims: [4] }, { dims: [4] }] });
check('MatMul 1-D × 2-D', { op: 'MatMul', inputs: [{ dims: [4] }, { dims: [4, 3] }] });
check('MatMul 2-D × 1-D', { op: 'MatMul', inputs: [{ dims: [3, 4] }, { dims: [4] }] });
check('MatMul 1-D × 3-D', { op: 'MatMul', inputs: [{ dims: [4] }, { dims: [2, 4, 3] }] });
check('MatMul 3-D × 1-D', { op: 'MatMul', inputs: [{ dims: [2, 3, 4] }, { dims: [4] }] });
check('MatMul 3-D × 2-D (batch broadcast of B)', { op: 'MatMul', inputs: [{ dims: [2, 3, 4] }, { dims: [4, 5] }] });
check('MatMul 2-D × 3-D (batch broadcast of A)', { op: 'MatMul', inputs: [{ dims: [3, 4] }, { dims: [2, 4, 5] }] });
check('MatMul 4-D × 3-D with size-1 batch dims broadcast', { op: 'MatMul', inputs: [{ dims: [2, 1, 3, 4] }, { dims: [3, 4, 2] }] });
check('MatMul [1,3,4] × [2,4,2] (size-1 batch of A)', { op: 'MatMul', inputs: [{ dims: [1, 3, 4] }, { dims: [2, 4, 2] }] });
check('MatMul [2,3,4] × [2,4,2] (same batch)', { op: 'MatMul', inputs: [{ dims: [2, 3, 4] }, { dims: [2, 4, 2] }], opset: 13 });
check('MatMul with a constant weight (input gradient only)', {
  op: 'MatMul',
  inputs: [{ dims: [2, 3, 4] }, { dims: [4, 2], constant: true }],
});
check('MatMul constant left operand (weight-side gradient only)', {
  op: 'MatMul',
  inputs: [{ dims: [2, 4], constant: true }, { dims: [3, 4, 2] }],
  opset: 21,
});

// ---- Sub / Mul / Div ----------------------------------------------------------------------------------

for (const op of ['Sub', 'Mul', 'Div']) {
  const b = (dims: number[], seed = 9) => ({ dims, ...(op === 'Div' ? { data: away(dims, [0], seed, 1, 0.5) } : {}) });
  check(`${op}, same shapes`, { op, inputs: [{ dims: [2, 3] }, b([2, 3])] });
  check(`${op}, broadcasting both ways`, { op, inputs: [{ dims: [2, 1, 4] }, b([3, 1])] });
  check(`${op}, rank-0 second operand`, { op, inputs: [{ dims: [2, 3] }, b([])] });
  check(`${op}, rank-0 first operand`, { op, inputs: [{ dims: [] }, b([2, 3])] });
  check(`${op}, per-channel constant [1,C,1,1] (opset 11)`, {
    op,
    inputs: [{ dims: [2, 3, 2, 2] }, { ...b([1, 3, 1, 1]), constant: true }],
    opset: 11,
  });
  check(`${op}, constant first operand`, { op, inputs: [{ dims: [3], constant: true }, b([2, 3])], opset: 13 });
}
check('Mul, broadcasting [3,1,2]·[1,4,2]', { op: 'Mul', inputs: [{ dims: [3, 1, 2] }, { dims: [1, 4, 2] }] });

// ---- Pow ----------------------------------------------------------------------------------------------

const positive = (dims: number[], seed = 4) => uniform(dims, 0.5, 2, seed);
for (const p of [2, 3, 1, 0, -1.5, 0.5]) {
  check(`Pow, constant scalar exponent ${p}`, {
    op: 'Pow',
    inputs: [
      { dims: [2, 3], data: p === Math.round(p) ? away([2, 3], [0], 3, 1, 0.3) : positive([2, 3]) },
      { dims: [], data: [p], constant: true },
    ],
  });
}
check('Pow, constant scalar exponent (opset 11)', {
  op: 'Pow',
  inputs: [
    { dims: [2, 3], data: positive([2, 3]) },
    { dims: [], data: [2.5], constant: true },
  ],
  opset: 11,
});
check('Pow, constant int64 exponent 3', { op: 'Pow', inputs: [{ dims: [2, 3] }, { dims: [], data: [3], int64: true }] });
check('Pow, constant tensor exponent broadcast [3]', {
  op: 'Pow',
  inputs: [
    { dims: [2, 3], data: positive([2, 3]) },
    { dims: [3], data: [0.5, 2, -1], constant: true },
  ],
});
check('Pow, constant exponent tensor broadcasting the base [2,1]→[2,3]', {
  op: 'Pow',
  inputs: [
    { dims: [2, 1], data: [0.8, 1.7] },
    { dims: [2, 3], data: [1, 2, 3, 0.5, -1, 2.5], constant: true },
  ],
});
check('Pow, base and exponent both differentiated', { op: 'Pow', inputs: [{ dims: [2, 3], data: positive([2, 3]) }, { dims: [2, 3] }] });
check('Pow, exponent-only gradient (constant base), broadcasting [3]', {
  op: 'Pow',
  inputs: [{ dims: [2, 3], data: positive([2, 3]), constant: true }, { dims: [3] }],
  opset: 13,
});
check('Pow, scalar base differentiated against tensor exponent', {
  op: 'Pow',
  inputs: [{ dims: [], data: [1.3] }, { dims: [2, 2] }],
  opset: 11,
});

// ---- unary --------------------------------------------------------------------------------------------

check('Sqrt', { op: 'Sqrt', inputs: [{ dims: [2, 3], data: positive([2, 3]) }] });
check('Exp', { op: 'Exp', inputs: [{ dims: [2, 3] }] });
check('Log', { op: 'Log', inputs: [{ dims: [2, 3], data: positive([2, 3]) }] });
check('Neg', { op: 'Neg', inputs: [{ dims: [2, 3] }] });
check('Abs (away from 0)', { op: 'Abs', inputs: [{ dims: [3, 4], data: away([3, 4], [0]) }] });
check('Erf', { op: 'Erf', inputs: [{ dims: [3, 4] }] });
check('LRN, size 5 (AlexNet/GoogLeNet), larger α so the normaliser matters', {
  op: 'LRN',
  inputs: [{ dims: [2, 7, 2, 3] }],
  attrs: { size: 5, alpha: 0.5, beta: 0.75, bias: attr.float(1) },
});
// onnxruntime's CPU LRN accepts odd sizes only (the spec's asymmetric even window is not reachable).
check('LRN, size 3, opset 11', {
  op: 'LRN',
  inputs: [{ dims: [1, 6, 3, 2] }],
  attrs: { size: 3, alpha: 0.8, beta: 0.6, bias: attr.float(2) },
  opset: 11,
});
check('Gelu (opset 20, exact)', { op: 'Gelu', inputs: [{ dims: [3, 4] }], opset: 20 });
check('Gelu (opset 20, tanh approximation)', { op: 'Gelu', inputs: [{ dims: [3, 4] }], attrs: { approximate: 'tanh' }, opset: 20 });
check('Reciprocal (away from 0)', { op: 'Reciprocal', inputs: [{ dims: [2, 3], data: away([2, 3], [0], 7, 1, 0.5) }] });
check('Exp (opset 11)', { op: 'Exp', inputs: [{ dims: [4] }], opset: 11 });

// ---- Sum / Mean / Max / Min ---------------------------------------------------------------------------

for (const op of ['Sum', 'Mean']) {
  check(`${op}, one input`, { op, inputs: [{ dims: [2, 3] }] });
  check(`${op}, two inputs`, { op, inputs: [{ dims: [2, 3] }, { dims: [2, 3] }] });
  check(`${op}, three inputs with broadcasting`, { op, inputs: [{ dims: [2, 3] }, { dims: [3] }, { dims: [2, 1] }], opset: 11 });
  check(`${op}, a constant among the inputs`, {
    op,
    inputs: [{ dims: [2, 3] }, { dims: [1, 3], constant: true }, { dims: [] }],
    opset: 13,
  });
}
for (const op of ['Max', 'Min']) {
  check(`${op}, one input`, { op, inputs: [{ dims: [2, 3] }] });
  check(`${op}, two inputs (no ties)`, {
    op,
    inputs: [
      { dims: [2, 3], data: spread([2, 3], -1, 1, 1) },
      { dims: [2, 3], data: spread([2, 3], -0.95, 1.05, 2) },
    ],
  });
  check(`${op}, three inputs with broadcasting (no ties)`, {
    op,
    opset: 11,
    inputs: [
      { dims: [2, 3], data: spread([2, 3], -1, 1, 1) },
      { dims: [3], data: [-0.3, 0.55, 0.1] },
      { dims: [2, 1], data: [0.77, -0.62] },
    ],
  });
  check(`${op}, constant threshold (like ReLU6 written as Min/Max)`, {
    op,
    inputs: [
      { dims: [3, 4], data: away([3, 4], [0.25]) },
      { dims: [], data: [0.25], constant: true },
    ],
    opset: 13,
  });
  check(`${op}, exact ties split evenly (matches the symmetric difference)`, {
    op,
    inputs: [
      { dims: [4], data: [0.5, -1, 2, 0.3] },
      { dims: [4], data: [0.5, 1, -2, 0.3] },
    ],
  });
}

// ---- activations --------------------------------------------------------------------------------------

const kinked = away([2, 3, 2], [0]);
check('LeakyRelu, default alpha', { op: 'LeakyRelu', inputs: [{ dims: [2, 3, 2], data: kinked }] });
check('LeakyRelu, alpha 0.2 (opset 11)', {
  op: 'LeakyRelu',
  inputs: [{ dims: [2, 3, 2], data: kinked }],
  attrs: { alpha: 0.2 },
  opset: 11,
});
check('PRelu, per-channel slope [C,1,1] (slope differentiated)', {
  op: 'PRelu',
  inputs: [
    { dims: [2, 3, 2, 2], data: away([2, 3, 2, 2], [0]) },
    { dims: [3, 1, 1], data: [0.1, 0.25, -0.3] },
  ],
});
check('PRelu, per-channel slope [C,1,1] constant (opset 11)', {
  op: 'PRelu',
  inputs: [
    { dims: [2, 3, 2, 2], data: away([2, 3, 2, 2], [0]) },
    { dims: [3, 1, 1], data: [0.1, 0.25, -0.3], constant: true },
  ],
  opset: 11,
});
check('PRelu, single slope [1]', {
  op: 'PRelu',
  inputs: [
    { dims: [2, 4], data: away([2, 4], [0]) },
    { dims: [1], data: [0.2] },
  ],
});
check('PRelu, slope of the full shape', { op: 'PRelu', inputs: [{ dims: [2, 3], data: away([2, 3], [0]) }, { dims: [2, 3] }], opset: 13 });
check('PRelu, slope [C] on the last axis', {
  op: 'PRelu',
  inputs: [{ dims: [2, 2, 3], data: away([2, 2, 3], [0]) }, { dims: [3] }],
  opset: 21,
});
check('Elu, default alpha', { op: 'Elu', inputs: [{ dims: [2, 3, 2], data: kinked }] });
check('Elu, alpha 0.5 (opset 11)', { op: 'Elu', inputs: [{ dims: [2, 3, 2], data: kinked }], attrs: { alpha: 0.5 }, opset: 11 });
check('Selu, defaults', { op: 'Selu', inputs: [{ dims: [2, 3, 2], data: kinked }] });
check('Selu, alpha 1.5 gamma 2', { op: 'Selu', inputs: [{ dims: [2, 3, 2], data: kinked }], attrs: { alpha: 1.5, gamma: attr.float(2) } });
check('Sigmoid', { op: 'Sigmoid', inputs: [{ dims: [3, 4] }] });
check('Tanh', { op: 'Tanh', inputs: [{ dims: [3, 4] }], opset: 11 });
check('Softplus', { op: 'Softplus', inputs: [{ dims: [3, 4] }] });
check('HardSigmoid, defaults (both saturations and the band)', {
  op: 'HardSigmoid',
  inputs: [{ dims: [3, 4], data: away([3, 4], [-2.5, 2.5], 7, 3, 0.1) }],
});
check('HardSigmoid, alpha 0.3 beta 0.4 (opset 11)', {
  op: 'HardSigmoid',
  inputs: [{ dims: [3, 4], data: away([3, 4], [-0.4 / 0.3, 0.6 / 0.3], 8, 2.5, 0.1) }],
  attrs: { alpha: 0.3, beta: 0.4 },
  opset: 11,
});
check('HardSwish (all three regions, away from ±3)', {
  op: 'HardSwish',
  inputs: [{ dims: [3, 4], data: away([3, 4], [-3, 3], 7, 3.5, 0.1) }],
});
check('HardSwish (opset 18)', { op: 'HardSwish', inputs: [{ dims: [2, 5], data: away([2, 5], [-3, 3], 9, 3.5, 0.1) }], opset: 18 });

// ---- Clip ---------------------------------------------------------------------------------------------

const clipX = away([3, 4], [-0.5, 0.6], 7, 1.2, 0.1);
for (const opset of [11, 13, 17, 18, 21]) {
  check(`Clip, constant min and max (opset ${opset})`, {
    op: 'Clip',
    opset,
    inputs: [
      { dims: [3, 4], data: clipX },
      { dims: [], data: [-0.5], constant: true },
      { dims: [], data: [0.6], constant: true },
    ],
  });
}
check('Clip, min only', {
  op: 'Clip',
  inputs: [
    { dims: [3, 4], data: clipX },
    { dims: [], data: [-0.5], constant: true },
  ],
});
check('Clip, max only (min absent)', {
  op: 'Clip',
  inputs: [
    { dims: [3, 4], data: clipX },
    { dims: [], absent: true },
    { dims: [], data: [0.6], constant: true },
  ],
});
check('Clip, neither bound', { op: 'Clip', inputs: [{ dims: [3, 4] }] });
check('Clip, both bounds absent as empty names', {
  op: 'Clip',
  inputs: [{ dims: [3, 4] }, { dims: [], absent: true }, { dims: [], absent: true }],
  opset: 11,
});
check('Clip, bounds differentiated too', {
  op: 'Clip',
  inputs: [
    { dims: [3, 4], data: clipX },
    { dims: [], data: [-0.5] },
    { dims: [], data: [0.6] },
  ],
});
check('Clip, min > max (y = max everywhere), bounds differentiated', {
  op: 'Clip',
  inputs: [
    { dims: [3, 4], data: clipX },
    { dims: [], data: [0.6] },
    { dims: [], data: [-0.5] },
  ],
});

// ---- Softmax / LogSoftmax -----------------------------------------------------------------------------

/**
 * Before opset 13 the upgrade rewrites Softmax(axis ≠ −1) as Flatten → Softmax(axis=1) → Reshape(…,
 * Shape(x)); Shape(x) lies on the path, and the core gives no gradient through (or around) Shape yet.
 */

for (const op of ['Softmax', 'LogSoftmax']) {
  for (const opset of [13, 17, 18, 21]) {
    for (const axis of [undefined, -1, 0, 1, -2]) {
      check(`${op} axis ${axis ?? 'default (−1)'} on [2,3,4] (opset ${opset})`, {
        op,
        inputs: [{ dims: [2, 3, 4] }],
        attrs: axis === undefined ? {} : { axis },
        opset,
      });
    }
  }
  for (const opset of [11, 12]) {
    for (const axis of [undefined, 0, 1, 2, -1, -2]) {
      check(`${op} axis ${axis ?? 'default (1)'} on [2,3,4], flatten semantics (opset ${opset})`, {
        op,
        inputs: [{ dims: [2, 3, 4] }],
        attrs: axis === undefined ? {} : { axis },
        opset,
      });
    }
  }
  check(`${op} on 2-D logits, default axis 1 (opset 11)`, { op, inputs: [{ dims: [3, 5] }], opset: 11 });
  check(`${op} on 2-D logits, axis -1 (opset 11, kept by the upgrade)`, { op, inputs: [{ dims: [3, 5] }], attrs: { axis: -1 }, opset: 11 });
}

// ---- Cast / CastLike ----------------------------------------------------------------------------------

check('Cast float → float (no-op cast)', { op: 'Cast', inputs: [{ dims: [2, 3] }], attrs: { to: TensorDataType.FLOAT } });
check('Cast float → double (opset 11)', { op: 'Cast', inputs: [{ dims: [2, 3] }], attrs: { to: TensorDataType.DOUBLE }, opset: 11 });
check('Cast float → double (opset 21)', { op: 'Cast', inputs: [{ dims: [2, 3] }], attrs: { to: TensorDataType.DOUBLE }, opset: 21 });
check('CastLike to a double template', { op: 'CastLike', inputs: [{ dims: [2, 3] }, { dims: [1], data: [0], constant: true }], opset: 15 });

// ---- Dropout / Where / Expand / Tile ------------------------------------------------------------------

check('Dropout, no ratio (opset 11), mask output unused', {
  op: 'Dropout',
  inputs: [{ dims: [2, 3] }],
  outputs: 2,
  seededOutputs: [0],
  opset: 11,
});
check('Dropout, ratio attribute (opset 11), mask output unused', {
  op: 'Dropout',
  inputs: [{ dims: [2, 3] }],
  attrs: { ratio: 0.3 },
  outputs: 2,
  seededOutputs: [0],
  opset: 11,
});
check('Dropout, ratio input, no training_mode (opset 13)', {
  op: 'Dropout',
  inputs: [{ dims: [2, 3] }, { dims: [], data: [0.4], constant: true }],
  outputs: 2,
  seededOutputs: [0],
  opset: 13,
});
check('Dropout, single output (opset 17)', { op: 'Dropout', inputs: [{ dims: [2, 3] }] });

check('Where, constant condition, both branches differentiated', {
  op: 'Where',
  inputs: [{ dims: [2, 3], data: [1, 0, 0, 1, 1, 0], bool: true }, { dims: [2, 3] }, { dims: [2, 3] }],
});
check('Where, condition broadcast over the branches (opset 11)', {
  op: 'Where',
  opset: 11,
  inputs: [{ dims: [1, 3], data: [0, 1, 1], bool: true }, { dims: [2, 1] }, { dims: [3] }],
});

check('Expand [3,1] → [2,3,4]', { op: 'Expand', inputs: [{ dims: [3, 1] }, { dims: [3], data: [2, 3, 4], int64: true }] });
check('Expand [1] → [2,2] (opset 11)', { op: 'Expand', inputs: [{ dims: [1] }, { dims: [2], data: [2, 2], int64: true }], opset: 11 });
check('Expand with a shape of lower rank and ones ([2,3] by [1,3])', {
  op: 'Expand',
  inputs: [{ dims: [2, 3] }, { dims: [2], data: [1, 3], int64: true }],
  opset: 13,
});
check('Expand [3,1] by [1,1,4] → [1,3,4]', { op: 'Expand', inputs: [{ dims: [3, 1] }, { dims: [3], data: [1, 1, 4], int64: true }] });

check('Tile [2,3] by [2,1]', { op: 'Tile', inputs: [{ dims: [2, 3] }, { dims: [2], data: [2, 1], int64: true }] });
check('Tile [2,3] by [1,3] (opset 11)', { op: 'Tile', inputs: [{ dims: [2, 3] }, { dims: [2], data: [1, 3], int64: true }], opset: 11 });
check('Tile [2,3] by [2,2]', { op: 'Tile', inputs: [{ dims: [2, 3] }, { dims: [2], data: [2, 2], int64: true }], opset: 13 });
check('Tile [2,1,3] by [1,2,1]', { op: 'Tile', inputs: [{ dims: [2, 1, 3] }, { dims: [3], data: [1, 2, 1], int64: true }] });
check('Tile by all ones', { op: 'Tile', inputs: [{ dims: [2, 3] }, { dims: [2], data: [1, 1], int64: true }] });

export const ELEMENTWISE_CASES: readonly NamedOpCase[] = cases;
