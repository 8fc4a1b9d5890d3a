import type { OpGradient } from '../types';
import { reshapeBack } from './structuralUtil';

/** Reshape (any shape input, 0/-1 entries, allowzero): dx = dy reshaped to x's shape. */
export const reshapeGradient: OpGradient = {
  opType: 'Reshape',
  gradient: ({ node, dy, ctx }) => [reshapeBack(ctx.e, dy[0], node.input(0)), ''],
};
