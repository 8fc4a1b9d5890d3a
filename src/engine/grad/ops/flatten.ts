import type { OpGradient } from '../types';
import { reshapeBack } from './structuralUtil';

/** Flatten (any axis): dx = dy reshaped to x's shape. */
export const flattenGradient: OpGradient = {
  opType: 'Flatten',
  gradient: ({ node, dy, ctx }) => [reshapeBack(ctx.e, dy[0], node.input(0))],
};
