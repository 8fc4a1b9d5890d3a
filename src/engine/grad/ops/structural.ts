/** Gradient modules of the structural family (one file per op), in one explicit list. */
import type { OpGradient } from '../types';

export const STRUCTURAL_GRADIENTS: OpGradient[] = [];
