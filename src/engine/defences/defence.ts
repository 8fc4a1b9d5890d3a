/**
 * One interface for every no-retraining defence of the analyse job. A defence module says which
 * configurations pass 1 evaluates (its parameter sweep), tallies them batch by batch, picks the configuration
 * to report (the user's value or the clean-drop tolerance rule) with its non-adaptive rows and sweeps, and in
 * pass 2 supplies the chosen configuration's model and the gradient an adaptive attacker follows. Adding a
 * defence = a module implementing this + one line in `defences/index.ts` (+ its params in report/sections.ts).
 */
import type { AnalyseOptions, DefenceName } from '../analyse/options';
import type { Criterion, Norm } from '../attacks/types';
import type { Preprocessing } from '../config/runConfig';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import type { GradientSource } from '../grad/estimatedGradient';
import type { LossHead } from '../grad/lossHeads';
import type { PreparedModel } from '../jobs/prepare';
import type { Classifier } from '../runtime/classifier';
import type { SessionOptions } from '../runtime/modelSession';
import type { ScoreModel } from '../runtime/scoreModel';
import type { DefenceAttackRef, DefenceResult, Sweep } from '../report/sections';
import type { DefenceBatch } from './defenceBatch';
import type { DefenceTally } from './tally';

/** A command-line flag a defence reads (node:util parseArgs' shape). */
export interface DefenceFlag {
  type: 'string';
  multiple?: false;
}

type Flags = Record<string, string | boolean | string[] | undefined>;

/** The fields of `AnalyseOptions` a defence owns. */
export type DefenceOptions = Partial<Pick<AnalyseOptions, 'K' | 'radius' | 'directions' | 'cutoff'>>;

export interface DefenceCli {
  /** The `--defence` value, e.g. "lowpass" (matched ignoring case, '-', '_' and spaces). */
  flagValue: string;
  /** Its own flags, e.g. `--cutoff`. */
  flags: Record<string, DefenceFlag>;
  /** Their lines of the usage text, `[flag with argument, description]`. */
  usage: readonly (readonly [string, string])[];
  /** Its flags → its options (defaults filled in), with a specific message for bad values. */
  parse(flags: Flags): DefenceOptions;
}

/** What a defence needs from the run for pass 1. */
export interface DefenceRun {
  classifier: Classifier;
  preprocessing: Preprocessing;
  opts: AnalyseOptions;
  /** Whether the sweeps are wanted (else only the configurations needed to pick the reported one). */
  sweeps: boolean;
  runSeed: number;
  criterion: Criterion;
  /** The attacks of pass 1, one tally per attack and configuration. */
  refs: DefenceAttackRef[];
  builder: ClassifierGradientBuilder | null;
  /** Why the gradient graph could not be built (null when `builder` is there or no one asked). */
  gradientUnavailable: string | null;
  sessionOpts: SessionOptions & { label: string };
  /** Run when the job ends (after pass 2). */
  disposers: (() => Promise<void>)[];
  /**
   * `merge`: only the candidate configurations and their tallies, to be filled from the shards' counts and
   * chosen from (no model runs, so nothing is opened; `classifier` need only carry the preprocessing).
   */
  countsOnly?: boolean;
}

/** What a defence needs for pass 2. */
export interface AdaptiveRun {
  prepared: PreparedModel;
  classifier: Classifier;
  builder: ClassifierGradientBuilder | null;
  /** The undefended model's cross-entropy gradient (opened once, shared; null without a gradient graph). */
  crossEntropyGradient(): Promise<GradientSource | null>;
  /** The undefended model's gradient of any loss head (each opened once, shared; null without a gradient graph). */
  headGradient(head: LossHead): Promise<GradientSource | null>;
  sessionOpts: SessionOptions & { label: string };
  runSeed: number;
  /** Points per image an EOT step averages over: the plan's (a budget's re-plan after pass 1 may raise it). */
  eotSamples: number;
  /** Seeds of pass 2 recorded in the report. */
  seeds: Record<string, number>;
  /** Run when pass 2 ends. */
  disposers: (() => Promise<void>)[];
}

export interface Defence {
  readonly name: DefenceName;
  readonly title: string;
  readonly cli: DefenceCli;
  /** Refuses the user's values before anything runs (whether or not this defence is selected, as before). */
  check(opts: AnalyseOptions, p: Preprocessing): void;
  /** `defend`: whether a parameter is left to the sweep, so the sweep section is wanted. */
  leavesParameterToSweep(opts: DefenceOptions): boolean;
  /** Seeds every analyse report records for this defence, selected or not (reports have always carried post-averaging's). */
  legacySeeds?(runSeed: number): Record<string, number>;
  /** Seeds of its pass-1 streams, recorded when it runs. */
  seeds?(runSeed: number): Record<string, number>;
  /** The sizes pass 1 will use (grid lengths, points per image), chosen up front from the options alone. */
  plan(opts: AnalyseOptions, p: Preprocessing, sweeps: boolean): Record<string, number>;
  /** Pass-1 state: its candidate configurations with their tallies. */
  sweep(run: DefenceRun): Promise<DefenceSweep>;
}

export interface DefenceSweep {
  readonly defence: Defence;
  /** Defended scores of a batch's clean images and adversarial examples, counted per configuration × attack. */
  tally(batch: DefenceBatch): Promise<void>;
  /** The reported configuration, its non-adaptive rows and its sweeps. */
  choose(tolerance: number): DefenceChoice;
  /** Every tally of every candidate configuration, in an order fixed by the options (a shard's counts, merged). */
  tallies(): DefenceTally[];
}

export interface DefenceChoice {
  result: DefenceResult;
  sweeps: Sweep[];
  /** Pass 2: the chosen configuration as a model, and the gradient its adaptive attacker follows. */
  adaptive(run: AdaptiveRun): Promise<AdaptiveDefence>;
}

export interface AdaptiveDefence {
  model: ScoreModel;
  /** Null: no adaptive attack (no gradient graph). */
  gradient: GradientSource | null;
  /**
   * The defence's gradient of any loss head (the ensemble's DLR and targeted DLR as well as cross-entropy),
   * opened on first use; absent or null where `gradient` is null.
   */
  gradientFor?(head: LossHead): Promise<GradientSource | null>;
  /** The adaptive attack's label in the report. */
  label(norm: Norm): string;
}
