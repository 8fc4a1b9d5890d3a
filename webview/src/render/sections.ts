/**
 * Sections by `kind` (never by their key in the report): typed lookup of the sections of each run, in a
 * fixed reading order, and the ones this version does not know.
 */
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import type { CleanSection } from '../../../src/engine/report/schema';
import type { DefencesSection, OccludedFrequencySection, RctSection, SpectraSection, SweepsSection } from '../../../src/engine/report/sections';
import type { RenderContext, SectionEntry } from './context';

export interface SectionKinds {
  clean: CleanSection;
  attacks: AttacksSection;
  defences: DefencesSection;
  sweeps: SweepsSection;
  'occluded-frequency': OccludedFrequencySection;
  rct: RctSection;
  spectra: SpectraSection;
}
export type KnownKind = keyof SectionKinds;
export const KNOWN_KINDS: readonly KnownKind[] = ['clean', 'attacks', 'defences', 'sweeps', 'occluded-frequency', 'rct', 'spectra'];

export function sectionKind(section: unknown): string | null {
  if (typeof section !== 'object' || section === null) return null;
  const kind = (section as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : null;
}

/** Every section of `kind` across the runs shown (first run first). */
export function entriesOf<K extends KnownKind>(ctx: RenderContext, kind: K): SectionEntry<SectionKinds[K]>[] {
  return ctx.sides.flatMap((side) => side.sections
    .filter(([, s]) => sectionKind(s) === kind)
    .map(([name, section]) => ({ side, name, section: section as SectionKinds[K] })));
}

export function unknownEntries(ctx: RenderContext): SectionEntry<unknown>[] {
  return ctx.sides.flatMap((side) => side.sections
    .filter(([, s]) => !KNOWN_KINDS.includes(sectionKind(s) as KnownKind))
    .map(([name, section]) => ({ side, name, section })));
}
