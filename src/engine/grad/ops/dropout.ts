import type { OpGradient } from '../types';
import { zerosLike } from './common';

/**
 * Dropout in inference (training_mode absent or constant false; opset < 12 has no training mode), or in
 * training mode with a constant ratio of 0 (torchvision 0.14's Swin calls F.dropout(p=0.0) with its
 * default training=True): y = x, so dx = dy; the mask output carries no gradient. Training-mode dropout
 * with a non-zero ratio is random and rejected.
 */
export const dropoutGradient: OpGradient = {
  opType: 'Dropout',
  gradient: ({ node, dy, needs, ctx }) => {
    const training = node.input(2);
    if (training && !isZeroRatio(node.input(1), (name) => ctx.constant(name))) {
      const v = ctx.constant(training);
      if (!v)
        return node.fail(
          `training_mode ("${training}") must be a constant: training-mode dropout is random and has no deterministic gradient`,
        );
      if (v.some((t) => t !== 0)) node.fail('training_mode is true: training-mode dropout is random and has no deterministic gradient');
    }
    return node.inputs.map((x, i) => (i === 0 && needs[0] ? dy[0] || zerosLike(ctx.e, x) : ''));
  },
};

/** A ratio input that is a constant 0 (absent means the default 0.5). */
function isZeroRatio(ratio: string, constant: (name: string) => Float64Array | undefined): boolean {
  if (!ratio) return false;
  const v = constant(ratio);
  return !!v && v.every((r) => r === 0);
}
