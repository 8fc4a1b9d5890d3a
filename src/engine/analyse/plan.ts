/**
 * The analyse run's plan, fixed before any image is read: the suite, the ε grid, the defences and their grid
 * sizes, the image counts of every stage, and which stages are skipped and why. Bad values are refused here,
 * so nothing runs on options that would fail later. A budget planner can adjust the sizes here.
 */
import { EngineError } from '../errors';
import { analysePresetSuite, type AttackSpec } from '../attacks/catalog';
import type { Criterion } from '../attacks/types';
import type { Preprocessing } from '../config/runConfig';
import { DEFENCES, type Defence } from '../defences';
import { eotPoints } from '../defences/eotGradient';
import { bandCount, defaultBandGroup } from '../spectral/occludedFrequency';
import type { AdaptiveAttack } from '../defences/adaptive';
import { BATCH_STAGES } from './stages';
import { EPSILON_FACTORS, type AnalyseOptions, type AnalysesChoice } from './options';

/** The fixed-ε attacks' L∞ ε when no list is given (the ε sweep is its multiples). */
export const DEFAULT_EPSILON = 8 / 255;

export interface StagePlan {
  /** 'clean', 'attacks', 'defences', each batch stage's name, 'adaptive', 'sweeps'. */
  stage: string;
  /** Why the stage does not run (null: it runs). */
  skipped: string | null;
  /** The sizes it will use: images, grid lengths, points. */
  sizes: Record<string, number>;
}

export interface AnalysePlan {
  criterion: Criterion;
  analyses: AnalysesChoice;
  /** Clean top-1 drop allowed when a defence's sweep picks its parameter. */
  tolerance: number;
  /** The selected defences, in report order. */
  defences: readonly Defence[];
  attacks: AttackSpec[];
  /** Sorted L∞ ε values of the ε sweep. */
  epsGrid: number[];
  adaptiveImages: number;
  ofImages: number;
  /** Adjacent DCT bands Occluded Frequency ablates together: the user's (at most the band count), else defaultBandGroup's. */
  ofBandGroup: number;
  ofBaseline: 'zero' | 'noise';
  /** Points per image each adaptive EOT step against post-averaging averages over (6K+1: all). */
  eotSamples: number;
  /** The defences' adaptive attack (pass 2): the user's, the budget's choice, else PGD-10. */
  adaptiveAttack: AdaptiveAttack;
  stages: StagePlan[];
}

/** Radius/K/cutoff grids as the defences choose them, the suite as the preset gives it, image counts by preset. */
export function planAnalyse(opts: AnalyseOptions, p: Preprocessing, images: number): AnalysePlan {
  for (const d of DEFENCES) d.check(opts, p);
  const epsilons = opts.epsilons ?? [DEFAULT_EPSILON];
  if (epsilons.length === 0 || epsilons.some((e) => !(e > 0) || e > 1))
    throw new EngineError('USAGE', `analyse: ε list [${epsilons.join(', ')}]: expected L∞ values in (0, 1] pixel units`);
  const epsGrid =
    epsilons.length > 1 ? [...epsilons].sort((a, b) => a - b) : EPSILON_FACTORS.map((f) => f * epsilons[0]).filter((e) => e <= 1);
  const fast = opts.preset === 'fast';
  const analyses = opts.analyses ?? { occludedFrequency: true, rct: true, spectra: true, sweeps: true };
  const selected = new Set(opts.defences ?? DEFENCES.map((d) => d.name));
  const defences = DEFENCES.filter((d) => selected.has(d.name));
  const attacks = opts.attacks ?? analyseSuite(opts.preset, epsilons[0], Math.max(...epsGrid));
  const adaptiveImages = opts.adaptiveImages ?? (fast ? 32 : 200);
  const ofImages = opts.ofImages ?? (fast ? 32 : 200);
  const ofBandGroup = Math.min(opts.ofBandGroup ?? defaultBandGroup(p.height, p.width), bandCount(p.height, p.width));
  const eotSamples = eotPoints(opts.K, opts.eotSamples);
  const off = (on: boolean, why: string) => (on ? null : why);
  const noDefence = off(defences.length > 0, 'no defence selected');
  const stages: StagePlan[] = [
    { stage: 'clean', skipped: null, sizes: { images } },
    { stage: 'attacks', skipped: null, sizes: { images, attacks: attacks.length } },
    {
      stage: 'defences',
      skipped: noDefence,
      sizes: Object.fromEntries(
        defences.flatMap((d) => Object.entries(d.plan(opts, p, analyses.sweeps)).map(([k, v]) => [`${d.name}/${k}`, v])),
      ),
    },
    ...BATCH_STAGES.map((s) => s.plan({ images, attacks: attacks.length, analyses, ofImages })),
    {
      stage: 'adaptive',
      skipped: noDefence,
      sizes: { images: Math.min(images, adaptiveImages), defences: defences.length, eotSamples },
    },
    { stage: 'sweeps', skipped: off(analyses.sweeps, 'not asked for'), sizes: { epsilons: epsGrid.length } },
  ];
  return {
    criterion: opts.criterion ?? 'top1',
    analyses,
    tolerance: opts.cleanDropTolerance ?? 0.01,
    defences,
    attacks,
    epsGrid,
    adaptiveImages,
    ofImages,
    ofBandGroup,
    ofBaseline: opts.ofBaseline ?? 'zero',
    eotSamples,
    adaptiveAttack: opts.adaptiveAttack ?? 'pgd',
    stages,
  };
}

/** The preset's attack suite, as the attack catalog's records place their attacks in it. */
export function analyseSuite(preset: 'full' | 'fast', eps: number, budget: number): AttackSpec[] {
  return analysePresetSuite(preset, eps, budget);
}
