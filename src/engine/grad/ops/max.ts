import type { OpGradient } from '../types';
import { selectionGradient } from './elementwiseUtil';

/** Max (variadic, numpy broadcasting): dy goes to the input equal to y (split evenly between ties). */
export const maxGradient: OpGradient = {
  opType: 'Max',
  gradient: ({ node, dy, needs, ctx }) => selectionGradient(node, dy[0], needs, ctx),
};
