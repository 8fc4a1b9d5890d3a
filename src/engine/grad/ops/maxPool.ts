import type { Emitter } from '../emitter';
import type { NodeView } from '../nodeView';
import type { GradContext, OpGradient } from '../types';
import { attrsOf, scatterAddFlat } from './spatialUtil';

/**
 * Non-overlapping square windows on NCHW (kernel = stride = k, no padding or dilation, sizes divisible by
 * k — e.g. the common 2×2/2): SpaceToDepth lays each window's k² elements out as k² channel groups in
 * row-major window order, so "the first element equal to the window's max" (onnxruntime's and PyTorch's
 * choice) is a running Or over the groups, and DepthToSpace puts dy back. Same result as the scatter,
 * without re-running MaxPool for its indices or a ScatterElements, which dominate otherwise.
 */
function windowGroupsGradient(node: NodeView, ctx: GradContext, e: Emitter, x: string, y: string, dy: string): string | undefined {
  const kernel = node.ints('kernel_shape');
  const strides = node.ints(
    'strides',
    kernel.map(() => 1),
  );
  const dims = ctx.shape(x).dims;
  const plain =
    node.ints('pads', []).every((p) => p === 0) &&
    node.ints('dilations', []).every((d) => d === 1) &&
    ['NOTSET', 'VALID'].includes(node.string('auto_pad', 'NOTSET'));
  const k = kernel[0];
  if (
    !plain ||
    dims.length !== 4 ||
    kernel.length !== 2 ||
    kernel[1] !== k ||
    strides.some((s) => s !== k) ||
    dims[2] % k !== 0 ||
    dims[3] % k !== 0
  )
    return undefined;
  const groups = e.node(
    'Split',
    [e.op('SpaceToDepth', [x], { blocksize: k }), e.int64(new Array<number>(k * k).fill(dims[1]))],
    { axis: 1 },
    k * k,
  );
  let taken = '';
  const parts = groups.map((g) => {
    const isMax = e.op('Equal', [g, y]);
    const first = taken ? e.op('And', [isMax, e.op('Not', [taken])]) : isMax;
    taken = taken ? e.op('Or', [taken, isMax]) : isMax;
    return e.op('Mul', [dy, e.op('Cast', [first], { to: 1 })]);
  });
  return e.op('DepthToSpace', [e.op('Concat', parts, { axis: 1 })], { blocksize: k, mode: 'DCR' });
}

/**
 * MaxPool: each output's gradient goes to the input element it took (onnxruntime keeps the first maximum,
 * like PyTorch). The same MaxPool is re-run with its Indices output (flat over N·C·spatial) and dy is
 * scatter-added (ScatterElements, reduction add) into zeros of x's flattened shape.
 */
export const maxPoolGradient: OpGradient = {
  opType: 'MaxPool',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    if (node.int('storage_order', 0) !== 0) node.fail('storage_order=1 (column-major Indices) is not supported');
    const x = node.input(0);
    const fast = windowGroupsGradient(node, ctx, e, x, node.outputs[0], dy[0]);
    if (fast) return [fast];
    const indices = node.outputs[1] || e.node('MaxPool', [x], attrsOf(node), 2)[1];
    return [scatterAddFlat(e, x, indices, dy[0])];
  },
};
