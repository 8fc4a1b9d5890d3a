import type { OpGradient } from '../types';
import { reshapeBack } from './structuralUtil';

/** Unsqueeze (axes as attribute or input): dx = dy reshaped to x's shape. */
export const unsqueezeGradient: OpGradient = {
  opType: 'Unsqueeze',
  gradient: ({ node, dy, ctx }) => [reshapeBack(ctx.e, dy[0], node.input(0)), ''],
};
