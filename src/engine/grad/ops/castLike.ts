import type { OpGradient } from '../types';
import { castBack } from './elementwiseUtil';
import { zerosLike } from './common';

/** CastLike between float types: dx = Cast(dy, input type); the type template gets a zero gradient. */
export const castLikeGradient: OpGradient = {
  opType: 'CastLike',
  gradient: ({ node, dy, needs, ctx }) => [
    needs[0] ? castBack(node, dy[0], ctx.shape(node.outputs[0]).type, ctx) : '',
    needs[1] ? zerosLike(ctx.e, node.input(1)) : '',
  ],
};
