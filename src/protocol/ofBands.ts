/**
 * Occluded Frequency's x axis in words: single bands ("band 5"), or with a band group size g > 1 the group's
 * band range ("bands 20–23"). Pure and defensive (reports are data): the CLI, the panel and the headline share it.
 */

/** The section's band group size: its `bandGroup` when a whole number above 1, else 1 (older reports, g = 1). */
export function sectionBandGroup(section: { bandGroup?: unknown }): number {
  const g = section.bandGroup;
  return typeof g === 'number' && Number.isInteger(g) && g > 1 ? g : 1;
}

/** Bands [first, last] of entry k (a group of g bands; the last group ends at the last band). */
export function bandRange(k: number, g: number, bands: number): [number, number] {
  const last = Number.isInteger(bands) && bands > 0 ? Math.min(k * g + g, bands) - 1 : k * g + g - 1;
  return [k * g, last];
}

/** "band 5" (g = 1, or a one-band last group) or "bands 20–23". */
export function bandLabel(k: number, g: number, bands: number): string {
  if (g <= 1) return `band ${k}`;
  const [first, last] = bandRange(k, g, bands);
  return first === last ? `band ${first}` : `bands ${first}–${last}`;
}

/** The axis' short tick label: "5" or "20–23". */
export function bandTick(k: number, g: number, bands: number): string {
  if (g <= 1) return String(k);
  const [first, last] = bandRange(k, g, bands);
  return first === last ? String(first) : `${first}–${last}`;
}
