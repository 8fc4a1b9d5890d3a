/** Every defence of the analyse job, in report order. A new defence: its module, then one line here. */
import type { Defence } from './defence';
import { lowPass } from './lowPassDefence';
import { postAveraging } from './postAveragingDefence';

export const DEFENCES: readonly Defence[] = [postAveraging, lowPass];

export type { Defence } from './defence';
