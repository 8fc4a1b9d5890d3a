import type { OpGradient } from '../types';
import { perChannel, range } from './structuralUtil';

/**
 * BatchNormalization, inference form: y = (x − mean)·scale/√(var+ε) + B per channel (axis 1), so
 * dx = dy·scale/√(var+ε); dscale = Σ dy·x̂, dB = Σ dy, dmean = −Σ dy·scale/√(var+ε),
 * dvar = −½ Σ dy·(x − mean)·scale·(var+ε)^(−3/2), sums over every axis but 1.
 * Training mode (batch statistics) is rejected: exported classifiers run in inference mode.
 */
export const batchNormalizationGradient: OpGradient = {
  opType: 'BatchNormalization',
  gradient: ({ node, dy, needs, ctx }) => {
    const e = ctx.e;
    if (node.int('training_mode', 0) !== 0)
      node.fail('training_mode=1 (batch statistics) is not supported; export the model in inference mode');
    if (node.outputs.slice(1).some((o) => o))
      node.fail('running-statistics outputs (training mode) are not supported; export the model in inference mode');
    const [x, scale, , mean, variance] = [0, 1, 2, 3, 4].map((i) => node.input(i));
    const rank = ctx.rank(x);
    const eps = node.float('epsilon', 1e-5);
    const sumAxes = [0, ...range(2, rank)];
    const sc = ctx.constant(scale);
    const va = ctx.constant(variance);
    const factor = () =>
      sc && va
        ? e.float(
            Array.from(sc, (s, c) => s / Math.sqrt(va[c] + eps)),
            [sc.length, ...range(2, rank).map(() => 1)],
          )
        : perChannel(e, e.op('Div', [scale, e.op('Sqrt', [e.op('Add', [variance, e.scalar(eps)])])]), rank);
    const grads = ['', '', '', '', ''];
    if (needs[0]) grads[0] = e.op('Mul', [dy[0], factor()]);
    if (needs[2]) grads[2] = e.reduceSum(dy[0], sumAxes, false);
    if (needs[3]) grads[3] = e.op('Neg', [e.op('Mul', [e.reduceSum(dy[0], sumAxes, false), e.reshapeLike(factor(), mean)])]);
    if (needs[1] || needs[4]) {
      const centred = e.op('Sub', [x, perChannel(e, mean, rank)]);
      const dyCentred = e.reduceSum(e.op('Mul', [dy[0], centred]), sumAxes, false);
      const rstd = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, e.scalar(eps)])])]);
      if (needs[1]) grads[1] = e.op('Mul', [dyCentred, rstd]);
      if (needs[4]) {
        const rstd3 = e.op('Mul', [e.op('Mul', [rstd, rstd]), rstd]);
        grads[4] = e.op('Mul', [e.op('Mul', [dyCentred, scale]), e.op('Mul', [rstd3, e.scalar(-0.5)])]);
      }
    }
    return grads;
  },
};
