/**
 * The `checkpoints` section: robustness along training, one entry per ONNX checkpoint of a folder (the
 * checkpoints job), or per export of one model (the Quick Attack Check's history, src/host/quickChecks.ts).
 * Pure data and words: the webview bundles it, the engine and the host fill it.
 */

import type { SanitySection } from '../engine/report/sections';

/** What the τ chart shows (its caption), and a part of the section's definition. */
export const LOW_FREQUENCY_RATIO_DEFINITION =
  'The low-frequency energy ratio τ(z) = Σ_{(k_x,k_y)∈S_l} |F(z)|² / Σ_all |F(z)|² (orthonormal 2-D DFT per channel, ' +
  'energies summed over channels, S_l = {|k_x| ≤ k_c and |k_y| ≤ k_c} on the centred frequencies) of each attack’s ' +
  'perturbations δ = x′ − x, averaged over every attacked image (correctly classified clean, whether or not the attack ' +
  'succeeded; a zero δ is skipped), against the same ratio τ(x) of the clean images, averaged over all of them — ' +
  '"A frequency domain analysis of gradient-based adversarial examples", Fig. 2. τ(δ) below τ(x) means the ' +
  'perturbations put relatively more of their energy at high frequencies than natural images do.';

export const CHECKPOINTS_DEFINITION =
  'Per checkpoint, on the same images: clean top-1 accuracy; robust top-1 accuracy under FGM and PGD at one fixed ε ' +
  '(the share of the evaluated images still classified correctly after the attack; clean errors count as not robust). ' +
  LOW_FREQUENCY_RATIO_DEFINITION;

export interface CheckpointAttackResult {
  /** The attack's label as the attack job writes it, e.g. "PGD L2 ε=1 (10 steps)". */
  label: string;
  /** Catalog name: fgm (L2), fgsm (FGM under L∞), pgd. */
  attack: string;
  /** Robust top-1 accuracy over the evaluated images. */
  robustTop1: number;
  /**
   * Images attacked (correctly classified clean) and the share the attack broke; null where not recorded (a
   * Quick Attack Check's export history keeps only the accuracies).
   */
  attackedImages: number | null;
  successRate: number | null;
  /** Mean τ(δ) over the attacked images' perturbations; null where none was attacked (or not measured). */
  lowFrequencyRatio: number | null;
  /** Perturbations in that mean (null: not measured). */
  perturbations: number | null;
}

export interface CheckpointResult {
  /** Images evaluated (decoded), and the clean top-1 accuracy on them. */
  images: number;
  cleanTop1: number;
  attacks: CheckpointAttackResult[];
  /** Mean τ(x) over the clean images; null when not measured (the quick-check history). */
  imagesLowFrequencyRatio: number | null;
  /** Seconds it took when computed (a cached entry keeps the time of the run that computed it). */
  seconds: number;
  /**
   * The sanity check of its clean predictions (class order, preprocessing); the run reports the newest
   * checkpoint's, since early checkpoints are near chance by nature. Absent where not measured.
   */
  sanity?: SanitySection;
}

export interface CheckpointEntry {
  /** File name (the chart's x labels), or the model's name and export time for the quick-check history. */
  name: string;
  path: string;
  /** The number found in the file name, when the order is by numbers. */
  number: number | null;
  /** The file's modification time (ISO), or the check's time. */
  modified: string;
  sha256: string | null;
  status: 'done' | 'failed';
  /** Why a failed checkpoint has no result (which file, what went wrong). */
  error: string | null;
  /** Whether this run computed it or read it from the cache (or, for the quick-check history, the history). */
  source: 'computed' | 'cache' | 'history' | null;
  result: CheckpointResult | null;
}

export interface CheckpointsParams {
  norm: 'l2' | 'linf';
  epsilon: number;
  pgdSteps: number;
  pgdAlpha: number;
  /** k_c of S_l (null: not measured). */
  cutoff: number | null;
  seed: number;
  /** Where results are cached (null: no cache). */
  cacheDir: string | null;
}

export interface CheckpointsSection {
  kind: 'checkpoints';
  definition: string;
  /** The folder of checkpoints, or the model whose exports the quick-check history holds. */
  folder: string;
  /** How the entries are ordered. */
  order: 'number-in-name' | 'modification-time' | 'check-time';
  /** Why this order (e.g. which file has no number). */
  orderNote: string;
  params: CheckpointsParams;
  entries: CheckpointEntry[];
  /** Entries done so far / in all (a streamed section grows). */
  done: number;
  total: number;
}

/** Counts of a section's entries by how they were obtained. */
export function checkpointCounts(s: CheckpointsSection): { computed: number; cached: number; failed: number } {
  return {
    computed: s.entries.filter((e) => e.status === 'done' && e.source === 'computed').length,
    cached: s.entries.filter((e) => e.status === 'done' && e.source === 'cache').length,
    failed: s.entries.filter((e) => e.status === 'failed').length,
  };
}
