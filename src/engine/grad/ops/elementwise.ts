/** Gradient modules of the elementwise family (one file per op), in one explicit list. */
import type { OpGradient } from '../types';

export const ELEMENTWISE_GRADIENTS: OpGradient[] = [];
