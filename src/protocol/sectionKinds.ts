/**
 * The report section kinds this version knows, declared once: a section's type by its `kind` (never by its
 * key in the report). The webview's renderers (webview/src/render/panels.ts) and the CLI's formatters
 * (src/cli/format.ts) are registries over these kinds, so a kind added here fails to compile until both
 * have an entry for it. Types only come from the engine.
 */
import type { AttacksSection } from '../engine/jobs/attackJob';
import type { ModelInfoSection } from '../engine/jobs/infoJob';
import type { CertificationSection } from './certification';
import type { CheckpointsSection } from './checkpoints';
import type { FourierHeatmapSection } from '../engine/spectral/fourierHeatmap';
import type { InversionSection } from '../engine/spectral/featureInversion';
import type { RobustnessCurvesSection } from '../engine/attacks/robustnessCurves';
import type { CleanSection } from '../engine/report/schema';
import type {
  DefencesSection,
  FlagsSection,
  OccludedFrequencySection,
  PerImageSection,
  RctSection,
  RunPlanSection,
  SanitySection,
  SpectraSection,
  SweepsSection,
} from '../engine/report/sections';

export interface SectionKinds {
  clean: CleanSection;
  attacks: AttacksSection;
  defences: DefencesSection;
  sweeps: SweepsSection;
  'occluded-frequency': OccludedFrequencySection;
  rct: RctSection;
  spectra: SpectraSection;
  'model-info': ModelInfoSection;
  sanity: SanitySection;
  'per-image': PerImageSection;
  certification: CertificationSection;
  'fourier-heatmap': FourierHeatmapSection;
  inversion: InversionSection;
  'robustness-curves': RobustnessCurvesSection;
  flags: FlagsSection;
  checkpoints: CheckpointsSection;
  'run-plan': RunPlanSection;
}
export type SectionKind = keyof SectionKinds;

/** Listed through a record over the kinds, so that the list cannot miss one. */
const KIND_SET: { [K in SectionKind]: null } = {
  clean: null,
  attacks: null,
  defences: null,
  sweeps: null,
  'occluded-frequency': null,
  rct: null,
  spectra: null,
  'model-info': null,
  sanity: null,
  'per-image': null,
  certification: null,
  'fourier-heatmap': null,
  inversion: null,
  'robustness-curves': null,
  flags: null,
  checkpoints: null,
  'run-plan': null,
};
export const SECTION_KINDS = Object.keys(KIND_SET) as readonly SectionKind[];

/** A section's `kind`, or null when it has none (reports are data: anything may be there). */
export function sectionKind(section: unknown): string | null {
  if (typeof section !== 'object' || section === null) return null;
  const kind = (section as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : null;
}

export function isKnownKind(kind: string | null): kind is SectionKind {
  return kind !== null && Object.hasOwn(KIND_SET, kind);
}
