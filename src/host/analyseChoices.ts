/**
 * The choices offered before an analysis: each preset × image count, with its time estimate from the
 * timing probe (engine job `estimate`), labelled as an estimate. The fast preset is preselected for a
 * model's first run; afterwards the settings' preset and limit. No `vscode` import: unit-tested directly.
 */
import type { AnalysePreset } from '../engine/attacks/catalog';
import { stageSeconds, workSeconds, type PassCosts, type StageWork } from '../engine/analyse/stageWork';
import type { EstimateChoice, TimingProbeSection } from '../engine/analyse/stageWork';
import {
  array,
  boolean,
  check,
  integer,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  string,
  type Infer,
  type MutuallyAssignable,
} from '../protocol/schema';
import type { StagePrior } from './eta';
import { formatEstimate } from './eta';

const seconds = number({ check: (x) => x >= 0 });
const passes = object({ forward: seconds, gradient: seconds });
/** The engine's timing-probe section, checked where it reaches the host. */
const timingProbeSchema = object({
  kind: literal('timing-probe'),
  available: integer({ min: 0 }),
  probeImages: integer({ min: 0 }),
  probeAccuracy: number({ check: (x) => x >= 0 && x <= 1 }),
  forwardSeconds: seconds,
  gradientSeconds: nullable(seconds),
  gradientUnavailable: nullable(string({ max: 10_000 })),
  defendedFactors: optional(object({ postAveragingForward: seconds, postAveragingGradient: seconds, lowPassForward: seconds })),
  setupSeconds: seconds,
  choices: array(
    object({
      preset: oneOf(['fast', 'full']),
      images: integer({ min: 1 }),
      all: boolean(),
      work: array(object({ stage: string({ max: 200 }), images: integer({ min: 0 }), perImage: passes }), { max: 16 }),
    }),
    { max: 64 },
  ),
});
// The schema and the engine's type describe the same thing.
const _sameShape: MutuallyAssignable<Infer<typeof timingProbeSchema>, TimingProbeSection> = true;
void _sameShape;

/** The probe's section of an estimate report, or why it is not one. */
export function parseTimingProbe(section: unknown): { ok: true; value: TimingProbeSection } | { ok: false; reason: string } {
  return check(timingProbeSchema, section, 'timing probe');
}

/** Image counts offered besides "all" (those below what the configuration gives). */
export const OFFERED_IMAGE_COUNTS = [100, 200] as const;
export const ANALYSE_PRESETS: readonly AnalysePreset[] = ['fast', 'full'];

/** What the quick-pick's title and placeholder say (the e2e suite finds the pick by them). */
export function analyseChoiceTitle(modelLabel: string): string {
  return `Analyse ${modelLabel}: preset and images`;
}
export const ANALYSE_CHOICE_PLACEHOLDER = 'Choose a preset and how many images (times are estimates from a short timing probe)';

export interface AnalyseChoiceItem {
  /** "Fast · 100 images", "Full · all 500 images". */
  label: string;
  /** "≈ 4 min (estimate)", "estimating…", or why there is no estimate. */
  description: string;
  /** What the preset runs. */
  detail: string;
  preset: AnalysePreset;
  /** The image limit to run with (null: every image the configuration gives). */
  limit: number | null;
  /** The estimate's seconds per stage (the run's ETA starts from them); empty without an estimate. */
  priors: StagePrior[];
  /** The probe's per-image pass costs (null without an estimate): the ETA prices the engine's own counts with them. */
  costs: PassCosts | null;
}

const PRESET_DETAIL: Record<AnalysePreset, string> = {
  fast: 'FGSM, PGD-10 L∞ (fixed and minimal ε), DeepFool; both defences with their adaptive attacks on 32 images; frequency analyses on 32',
  full: "the papers' suite: adds C&W, SimBA, PGD L2 and minimal-ε FGSM; finer defence grids; adaptive attacks and frequency analyses on 200",
};

const title = (p: AnalysePreset) => p[0].toUpperCase() + p.slice(1);

function label(preset: AnalysePreset, images: number, all: boolean): string {
  return `${title(preset)} · ${all ? `all ${images}` : images} image${images === 1 ? '' : 's'}`;
}

/** The probe's per-image costs (null: no gradient was timed, so gradient passes cannot be priced). */
export function probeCosts(probe: TimingProbeSection): PassCosts | null {
  return probe.gradientSeconds === null ? null : { forwardSeconds: probe.forwardSeconds, gradientSeconds: probe.gradientSeconds };
}

/** Seconds per stage at the probe's costs (null: no gradient was timed). */
export function stagePriors(probe: TimingProbeSection, work: readonly StageWork[]): StagePrior[] | null {
  const cost = probeCosts(probe);
  return cost ? work.map((w) => ({ stage: w.stage, seconds: stageSeconds(w, cost) })) : null;
}

/** The whole run's estimate in seconds: setup as the probe measured it, then the work. */
export function choiceSeconds(probe: TimingProbeSection, c: EstimateChoice): number | null {
  const cost = probeCosts(probe);
  return cost ? probe.setupSeconds + workSeconds(c.work, cost) : null;
}

/** Items while the probe runs: each preset at the offered counts and at every image, no estimate yet. */
export function pendingChoiceItems(): AnalyseChoiceItem[] {
  const counts: (number | null)[] = [...OFFERED_IMAGE_COUNTS, null];
  return ANALYSE_PRESETS.flatMap((preset) =>
    counts.map((k) => ({
      label: k === null ? `${title(preset)} · all images` : label(preset, k, false),
      description: 'estimating…',
      detail: PRESET_DETAIL[preset],
      preset,
      limit: k,
      priors: [],
      costs: null,
    })),
  );
}

/** Items without estimates, saying why (the probe failed): the run can still be chosen. */
export function unestimatedChoiceItems(reason: string): AnalyseChoiceItem[] {
  return pendingChoiceItems().map((it) => ({ ...it, description: `no estimate: ${reason}` }));
}

/** Items with the probe's estimates; "all" is every image the configuration gives (its limit applied). */
export function estimatedChoiceItems(probe: TimingProbeSection): AnalyseChoiceItem[] {
  return probe.choices.map((c) => {
    const seconds = choiceSeconds(probe, c);
    return {
      label: label(c.preset, c.images, c.all),
      description:
        seconds === null
          ? `no estimate: ${probe.gradientUnavailable ?? "the model's gradient is unavailable"}`
          : `${formatEstimate(seconds)} (estimate)`,
      detail: PRESET_DETAIL[c.preset],
      preset: c.preset,
      limit: c.all ? null : c.images,
      priors: stagePriors(probe, c.work) ?? [],
      costs: probeCosts(probe),
    };
  });
}

/**
 * The item to preselect: fast at the smallest count for a model's first run (no saved analysis yet);
 * otherwise the settings' preset on every image the configuration gives.
 */
export function preselectedChoice(items: readonly AnalyseChoiceItem[], firstRun: boolean, preset: AnalysePreset): number {
  const indices = (p: AnalysePreset) => items.flatMap((it, i) => (it.preset === p ? [i] : []));
  if (firstRun) return indices('fast')[0] ?? (items.length ? 0 : -1);
  const same = indices(preset);
  return same.length ? same[same.length - 1] : items.length ? 0 : -1;
}

/** The item standing for the same choice in a new list (the estimates arrived): same preset and limit, else same preset and every image. */
export function sameChoice(items: readonly AnalyseChoiceItem[], previous: AnalyseChoiceItem): number {
  const exact = items.findIndex((it) => it.preset === previous.preset && it.limit === previous.limit);
  if (exact >= 0) return exact;
  return items.findIndex((it) => it.preset === previous.preset && it.limit === null);
}
