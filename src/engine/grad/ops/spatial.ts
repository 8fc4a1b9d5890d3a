/** Gradient modules of the spatial family (one file per op), in one explicit list. */
import type { OpGradient } from '../types';

export const SPATIAL_GRADIENTS: OpGradient[] = [];
