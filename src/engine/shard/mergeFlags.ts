/**
 * The gradient-masking flags of a merged run, recomputed by the same `maskingFlags` an unsharded run calls:
 * from the merged attacks, defences and sanity sections, plus the three measurements every shard's flags
 * section carries as counts (score repeatability per model, gradient health, the ε sweep's curve), summed.
 *
 * Repeatability is measured on each run's first batch, so a merged run of n shards has scored up to n first
 * batches twice (more images than the unsharded run's one batch): the counts say so, and the flags that fire
 * are the same unless randomness shows only on some images.
 */
import type { AttacksSection } from '../jobs/attackJob';
import type { DefencesSection, FlagsSection, SanitySection } from '../report/sections';
import { maskingFlags, type EpsilonCurve, type GradientHealth, type Repeatability } from '../eval/maskingFlags';
import type { ReportV1 } from '../report/schema';

export function mergeFlags(shardReports: ReportV1[], merged: ReportV1['sections']): FlagsSection | null {
  const own = shardReports.map((r) => r.sections.flags as FlagsSection | undefined);
  if (own.some((f) => !f)) return null;
  const flags = own as FlagsSection[];
  const kind = flags[0].measurements.outputKind;
  return maskingFlags({
    attacks: (merged.attacks as AttacksSection | undefined) ?? null,
    defences: (merged.defences as DefencesSection | undefined) ?? null,
    sanity: (merged.sanity as SanitySection | undefined) ?? null,
    outputKind: kind ? { kind, reason: outputKindReason(flags) } : null,
    repeatability: sumRepeatability(flags),
    gradients: sumGradients(flags),
    epsilonCurve: poolCurves(flags),
  });
}

/** Per model (first seen order): counts summed, the largest difference kept. */
function sumRepeatability(flags: FlagsSection[]): Repeatability[] {
  const byModel = new Map<string, Repeatability>();
  for (const f of flags)
    for (const r of f.measurements.repeatability) {
      const acc = byModel.get(r.model);
      if (!acc) byModel.set(r.model, { ...r });
      else {
        acc.images += r.images;
        acc.differing += r.differing;
        acc.top1Changed += r.top1Changed;
        acc.maxAbsDiff = Math.max(acc.maxAbsDiff, r.maxAbsDiff);
      }
    }
  return [...byModel.values()];
}

function sumGradients(flags: FlagsSection[]): GradientHealth | null {
  const parts = flags.map((f) => f.measurements.gradients).filter((g): g is GradientHealth => g !== null);
  if (parts.length === 0) return null;
  return parts.reduce((a, g) => ({
    images: a.images + g.images,
    zero: a.zero + g.zero,
    nan: a.nan + g.nan,
    infinite: a.infinite + g.infinite,
  }));
}

/**
 * The ε sweep's curve over all shards: each ε's robust accuracy weighted by the shard's evaluated images (the
 * pooled count over the pooled images). Only when every shard swept the same attack and grid.
 */
function poolCurves(flags: FlagsSection[]): EpsilonCurve | null {
  const curves = flags.map((f) => f.measurements.epsilonCurve);
  const first = curves[0];
  if (!first || curves.some((c) => !c || c.attack !== first.attack || c.eps.join() !== first.eps.join())) return null;
  const all = curves as EpsilonCurve[];
  const evaluated = all.reduce((n, c) => n + c.evaluated, 0);
  const robustAccuracy = first.eps.map((_, j) => {
    if (evaluated === 0 || all.some((c) => c.evaluated > 0 && c.robustAccuracy[j] === null)) return null;
    return all.reduce((k, c) => k + (c.evaluated > 0 ? c.robustAccuracy[j]! * c.evaluated : 0), 0) / evaluated;
  });
  return { attack: first.attack, eps: [...first.eps], robustAccuracy, evaluated };
}

/** The shards' own words for why the output counts as probabilities, when one of them said it. */
function outputKindReason(flags: FlagsSection[]): string {
  const said = flags.flatMap((f) => f.flags).find((f) => f.id === 'probabilities-output' && f.evidence.outputKind !== undefined);
  return said ? said.summary.replace(/^the output kind was decided as probabilities: /, '') : 'as the shards decided it';
}
