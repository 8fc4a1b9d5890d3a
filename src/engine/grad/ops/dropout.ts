import type { OpGradient } from '../types';
import { zerosLike } from './common';

/**
 * Dropout in inference (training_mode absent or constant false; opset < 12 has no training mode):
 * y = x, so dx = dy; the mask output carries no gradient. Training-mode dropout is random and rejected.
 */
export const dropoutGradient: OpGradient = {
  opType: 'Dropout',
  gradient: ({ node, dy, needs, ctx }) => {
    const training = node.input(2);
    if (training) {
      const v = ctx.constant(training);
      if (!v) return node.fail(`training_mode ("${training}") must be a constant: training-mode dropout is random and has no deterministic gradient`);
      if (v.some((t) => t !== 0)) node.fail('training_mode is true: training-mode dropout is random and has no deterministic gradient');
    }
    return node.inputs.map((x, i) => (i === 0 && needs[0] ? dy[0] || zerosLike(ctx.e, x) : ''));
  },
};
