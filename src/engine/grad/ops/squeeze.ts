import type { OpGradient } from '../types';
import { reshapeBack } from './structuralUtil';

/** Squeeze (axes as attribute, input or absent): dx = dy reshaped to x's shape. */
export const squeezeGradient: OpGradient = {
  opType: 'Squeeze',
  gradient: ({ node, dy, ctx }) => [reshapeBack(ctx.e, dy[0], node.input(0)), ''],
};
