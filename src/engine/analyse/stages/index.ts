/** The pass-1 batch stages of the analyse pipeline, in the order their sections appear in the report. */
import type { BatchStageModule } from '../batchStage';
import { occludedFrequencyStage } from './occludedFrequency';
import { perImageStage } from './perImage';
import { rctStage } from './rct';
import { spectraStage } from './spectra';

export const BATCH_STAGES: readonly BatchStageModule[] = [occludedFrequencyStage, rctStage, spectraStage, perImageStage];
