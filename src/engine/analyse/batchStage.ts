/**
 * The pass-1 analyses that look at every batch once — the clean images and the suite's adversarial examples —
 * and publish one section at the end. A new one is a module exporting a `BatchStageFactory` and one line in
 * `stages/index.ts`; the pipeline runs them in that list's order (which is also their sections' order).
 */
import type { DatasetSample } from '../data/dataset';
import type { SuiteBatch } from '../jobs/attackSuite';
import type { DefenceAttackRef, DefenceResult } from '../report/sections';
import type { AnalyseContext } from './context';
import type { AnalysesChoice } from './options';
import type { StagePlan } from './plan';

export interface PassOneBatch {
  samples: DatasetSample[];
  /** count × pixels of the clean images. */
  pixels: Float32Array;
  /** The attack suite's results on these images. */
  suite: SuiteBatch;
}

export interface BatchStage {
  onBatch(batch: PassOneBatch): void | Promise<void>;
  /** Publishes the stage's section (nothing when it was skipped or saw no example). */
  publish(): void;
  /** Told each defence's chosen configuration after pass 1, for a stage whose section shows defended verdicts. */
  onDefencesChosen?(results: DefenceResult[]): void;
}

/** Starts a stage for a run; `refs` are the suite's attacks, in order. */
export type BatchStageFactory = (ctx: AnalyseContext, refs: DefenceAttackRef[]) => BatchStage;

/** What the plan knows when it sizes the batch stages. */
export interface BatchStagePlanInput {
  images: number;
  attacks: number;
  analyses: AnalysesChoice;
  ofImages: number;
}

export interface BatchStageModule {
  /** Its entry in the plan: the sizes it will use, or why it is skipped. */
  plan(input: BatchStagePlanInput): StagePlan;
  start: BatchStageFactory;
}
