import type { OpGradient } from '../types';
import { normAxis, zerosLike } from './common';

/** Split (split as attribute/input, num_outputs, equal or uneven parts): dx = Concat of the dy_i (zeros for parts without gradient). */
export const splitGradient: OpGradient = {
  opType: 'Split',
  gradient: ({ node, dy, ctx }) => {
    const e = ctx.e;
    const axis = normAxis(node.int('axis', 0), ctx.rank(node.input(0)));
    const parts = node.outputs.map((o, i) => {
      if (dy[i]) return dy[i];
      if (!o) node.fail(`output ${i} is unnamed, so its length along axis ${axis} is unknown`);
      return zerosLike(e, o);
    });
    return [parts.length === 1 ? parts[0] : e.op('Concat', parts, { axis }), ''];
  },
};
