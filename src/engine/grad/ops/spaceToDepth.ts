import type { OpGradient } from '../types';

/** SpaceToDepth only moves values: DepthToSpace in DCR mode with the same block size is its exact inverse. */
export const spaceToDepthGradient: OpGradient = {
  opType: 'SpaceToDepth',
  gradient: ({ node, dy, ctx }) => [ctx.e.op('DepthToSpace', [dy[0]], { blocksize: node.int('blocksize'), mode: 'DCR' })],
};
