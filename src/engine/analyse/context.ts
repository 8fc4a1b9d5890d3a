/** What every stage of the analyse pipeline shares: the run, its plan, and where results and seeds go. */
import type { Progress } from '../eval/cleanEval';
import type { EpsilonCurve, Repeatability } from '../eval/maskingFlags';
import type { JobHooks } from '../jobs/evalJob';
import type { PreparedModel, prepareData } from '../jobs/prepare';
import type { Classifier } from '../runtime/classifier';
import type { SessionOptions } from '../runtime/modelSession';
import type { AnalyseOptions } from './options';
import type { AnalysePlan } from './plan';
import type { DefendedPassFactors } from './stageWork';

export type PreparedData = Awaited<ReturnType<typeof prepareData>>;

export interface AnalyseContext {
  prepared: PreparedModel;
  data: PreparedData;
  classifier: Classifier;
  opts: AnalyseOptions;
  plan: AnalysePlan;
  hooks: JobHooks;
  runSeed: number;
  /** Image shape: channels, height, width. */
  C: number;
  H: number;
  W: number;
  classNames: string[];
  sessionOpts: SessionOptions & { label: string };
  /** Seeds recorded in the report. */
  seeds: Record<string, number>;
  warnings: string[];
  /** Models (the undefended one, each defended one) that classified the same images twice: the masking flags' evidence. */
  repeatability: Repeatability[];
  /** The ε sweep's robust accuracy of the undefended model, once pass 2 ran it. */
  epsilonCurve: EpsilonCurve | null;
  /** The timing probe's defended-pass factors: the progress messages' expected passes count defended passes at them. */
  defendedFactors: DefendedPassFactors;
  /** Run when the job ends, last first. */
  disposers: (() => Promise<void>)[];
  /** Publishes a finished report section (partial results stream to the panel). */
  section(name: string, value: unknown): void;
  progress(stage: string, done: number, total: number): void;
  /** A progress message as is (a WorkProgress's, with the work share and the expected passes). */
  report: (p: Progress) => void;
  signalOpt: { signal?: AbortSignal };
}

export function progressOf(hooks: JobHooks): (stage: string, done: number, total: number) => void {
  return (stage, done, total) => hooks.onProgress?.({ stage, done, total } satisfies Progress);
}
