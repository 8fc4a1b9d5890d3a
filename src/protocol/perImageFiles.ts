/**
 * Where the per-image table's example PNGs live in a run folder: one pattern each, written into the report
 * (the section's `examples`), filled in by the engine when it saves and by the panel when it shows them.
 */

/** Relative to the report's folder: `{attack}` is the attack's 1-based place in the attacks section, `{image}` the row index. */
export const PER_IMAGE_FILES = {
  clean: 'per-image/clean/{image}.png',
  adversarial: 'per-image/attack-{attack}/{image}-adversarial.png',
  perturbation: 'per-image/attack-{attack}/{image}-perturbation.png',
} as const;

/** A file of a pattern for one attack (0-based index) and row. */
export function exampleFile(pattern: string, attack: number, image: number): string {
  return pattern.replace('{attack}', String(attack + 1)).replace('{image}', String(image));
}
