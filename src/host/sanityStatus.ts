/**
 * What the status bar says about the sanity check of a model's latest run: the findings of the newest saved
 * run of that model that has a report (a later clean run clears the warning), without `vscode`.
 */
import type { RunListing } from './runsStore';

export interface SanityStatus {
  runId: string;
  command: string;
  findings: string[];
}

/** The latest run of `modelPath` among `runs` (any order, several run roots) when it has sanity findings. */
export function latestSanityFindings(runs: readonly RunListing[], modelPath: string): SanityStatus | null {
  let latest: Extract<RunListing, { readable: true }> | null = null;
  for (const r of runs) {
    if (!r.readable || r.modelPath !== modelPath || r.status === 'failed') continue;
    if (!latest || r.createdAt.getTime() > latest.createdAt.getTime()) latest = r;
  }
  if (!latest?.sanity?.length) return null;
  return { runId: latest.id, command: latest.command, findings: latest.sanity };
}

/** The tooltip lines: what the latest run's sanity check found. */
export function sanityTooltip(s: SanityStatus): string {
  return `⚠ Sanity check of the latest run (${s.command}, ${s.runId}) failed:\n${s.findings.map((f) => `• ${f}`).join('\n')}`;
}
