import type { OpGradient } from '../types';

/**
 * Tile with static repeats r: dy, of dims rᵢ·dᵢ, is viewed as [r₀, d₀, r₁, d₁, …] (only axes with rᵢ > 1
 * split) and summed over the repeat axes: dx = Σ_tiles dy.
 */
export const tileGradient: OpGradient = {
  opType: 'Tile',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    if (!needs[0]) return ['', ''];
    const x = node.input(0);
    const repeats = ctx.requireConstant(node, node.input(1), 'repeats');
    const { dims, batchDims } = ctx.shape(x);
    if (repeats.length !== dims.length) node.fail(`repeats has ${repeats.length} entries for a rank-${dims.length} input`);
    if (repeats.every((r) => r === 1)) return [dy[0], ''];
    const pieces: (number | string)[] = [];
    const sumAxes: number[] = [];
    dims.forEach((d, i) => {
      if (repeats[i] !== 1) {
        sumAxes.push(pieces.length);
        pieces.push(repeats[i]);
      }
      pieces.push(batchDims[i] ? e.op('Shape', [x], { start: i, end: i + 1 }) : d);
    });
    // A static target where no dim follows the batch; else constants joined with the runtime dims.
    const target = pieces.every((p) => typeof p === 'number')
      ? e.int64(pieces)
      : e.op(
          'Concat',
          pieces.map((p) => (typeof p === 'number' ? e.int64([p]) : p)),
          { axis: 0 },
        );
    const split = e.op('Reshape', [dy[0], target]);
    return [e.reduceSum(split, sumAxes, false), ''];
  },
};
