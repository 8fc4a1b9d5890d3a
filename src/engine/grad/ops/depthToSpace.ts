import type { OpGradient } from '../types';

/**
 * DepthToSpace only moves values, so its gradient moves them back. DCR mode is exactly inverted by
 * SpaceToDepth with the same block size. CRD mode (x → [N, C, b, b, H, W] → perm [0,1,4,2,5,3]) is undone
 * by reshaping dY to [N, C, H, b, W, b] and applying the inverse permutation [0,1,3,5,2,4].
 */
export const depthToSpaceGradient: OpGradient = {
  opType: 'DepthToSpace',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const x = node.input(0);
    const b = node.int('blocksize');
    const mode = node.string('mode', 'DCR');
    if (mode === 'DCR') return [e.op('SpaceToDepth', [dy[0]], { blocksize: b })];
    if (mode !== 'CRD') node.fail(`mode "${mode}" is not DCR or CRD`);
    const [, c, h, w] = ctx.shape(x).dims;
    // 0 copies dY's (batch) dim.
    const split = e.op('Reshape', [dy[0], e.int64([0, c / (b * b), h, b, w, b])]);
    return [e.reshapeLike(e.op('Transpose', [split], { perm: [0, 1, 3, 5, 2, 4] }), x)];
  },
};
