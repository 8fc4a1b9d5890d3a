import { dataTypeName } from '../../onnx/tensorData';
import type { OpGradient } from '../types';
import { castBack } from './elementwiseUtil';

/** Cast between float types: dx = Cast(dy, input type). A cast to an integer/bool type blocks the gradient. */
export const castGradient: OpGradient = {
  opType: 'Cast',
  gradient: ({ node, dy, ctx }) => [castBack(node, dy[0], dataTypeName(node.int('to')), ctx)],
};
