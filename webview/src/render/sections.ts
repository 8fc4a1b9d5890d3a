/**
 * Sections by `kind` (never by their key in the report): typed lookup of the sections of each run, in
 * report order, and the ones this version does not know. The kinds are declared in src/protocol/sectionKinds.ts.
 */
import { isKnownKind, sectionKind, type SectionKind, type SectionKinds } from '../../../src/protocol/sectionKinds';
import type { RenderContext, SectionEntry } from './context';

/** Every section of `kind` across the runs shown (first run first). */
export function entriesOf<K extends SectionKind>(ctx: RenderContext, kind: K): SectionEntry<SectionKinds[K]>[] {
  return ctx.sides.flatMap((side) =>
    side.sections
      .filter(([, s]) => sectionKind(s) === kind)
      .map(([name, section]) => ({ side, name, section: section as SectionKinds[K] })),
  );
}

export function unknownEntries(ctx: RenderContext): SectionEntry<unknown>[] {
  return ctx.sides.flatMap((side) =>
    side.sections.filter(([, s]) => !isKnownKind(sectionKind(s))).map(([name, section]) => ({ side, name, section })),
  );
}
