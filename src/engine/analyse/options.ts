/** The analyse job's options (the `defend` command is the same job with fewer sections). */
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import type { DefenceSpec } from '../report/sections';

export type DefenceName = DefenceSpec['kind'];

/** Declared once, with its runtime check, in src/protocol/jobKinds.ts. */
export type AnalyseOptions = JobOptionsByKind['analyse'];

export type AnalysesChoice = NonNullable<AnalyseOptions['analyses']>;

export const EPSILON_FACTORS = [0.25, 0.5, 1, 2] as const;
