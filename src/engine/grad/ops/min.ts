import type { OpGradient } from '../types';
import { selectionGradient } from './elementwiseUtil';

/** Min (variadic, numpy broadcasting): dy goes to the input equal to y (split evenly between ties). */
export const minGradient: OpGradient = {
  opType: 'Min',
  gradient: ({ node, dy, needs, ctx }) => selectionGradient(node, dy[0], needs, ctx),
};
