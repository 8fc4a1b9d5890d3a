/**
 * A run's Markdown summary: the verdict lines of src/protocol/verdict.ts (the panel's headline, the CLI's
 * summary), then the main tables — attacks, defences with their non-adaptive and adaptive rates, the sanity
 * findings and the definitions of the terms used. For `report --markdown`, `--markdown` beside `--html` on the
 * jobs, and the panel's "Copy Markdown summary". Pure: no vscode, no file system (reports are data: every
 * field is read defensively).
 */
import type { ReportV1 } from '../engine/report/schema';
import type { AttacksSection } from '../engine/jobs/attackJob';
import type { DefencesSection, SanitySection } from '../engine/report/sections';
import { sectionKind } from '../protocol/sectionKinds';
import { MODE_MEANING, MODE_WORDS, modeWords, reportVerdict, verdictLines } from '../protocol/verdict';

/** A table cell: pipes escaped, line breaks flattened (names and labels are data). */
export function mdCell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}

const pct = (v: number | null | undefined): string => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '—');
const num = (v: number | null | undefined, digits = 3): string =>
  typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : '—';

function sectionsOf<T>(report: ReportV1, kind: string): T[] {
  return Object.values(report.sections ?? {}).filter((s) => sectionKind(s) === kind) as T[];
}

function baseName(path: string): string {
  return path.replace(/^.*[\\/]/, '');
}

/** The definitions the tables rely on (the panel shows the same sentences beside its verdict). */
export const DEFINITIONS: readonly [string, string][] = [
  ['Robust accuracy', 'the share of all evaluated images still classified correctly after the attack.'],
  ...(['fixed-eps', 'minimal-eps', 'minimal-perturbation', 'query-limited'] as const).map((m): [string, string] => {
    const [term, ...rest] = MODE_MEANING[m].split(': ');
    return [term, rest.join(': ')];
  }),
  ['Defence rate', 'of the adversarial examples that fool the plain model, the share the defended model classifies correctly.'],
  [
    'Adaptive attack',
    'an attack run through the defence itself; what survives it is what the defence is worth against an attacker who knows it.',
  ],
  ['Occluded Frequency', "how much the predicted class's score drops when one band of DCT frequencies is removed from the image."],
  ['RCT', 'the relative change of each DCT coefficient made by the attack: which frequencies the adversarial examples alter most.'],
];

/** One report's summary; `heading` is the level of its title (2 when it is one of two compared runs). */
export function reportMarkdown(report: ReportV1, heading = 1): string {
  const hx = (level: number) => '#'.repeat(Math.min(6, heading + level));
  const out: string[] = [];
  const model = typeof report.model?.path === 'string' ? report.model.path : '(unknown model)';
  out.push(`${hx(0)} Robustness report: ${baseName(model)}`, '');
  const facts = [
    `Run \`${mdCell(report.id ?? '?')}\``,
    `${report.command ?? 'run'} of ${report.createdAt ?? '?'}`,
    `status **${report.status}**`,
    report.dataset ? `${report.dataset.sampledImages} of ${report.dataset.totalImages} images` : null,
    report.model?.sha256 ? `model sha256 \`${report.model.sha256.slice(0, 12)}…\`` : null,
    report.tool?.version ? `robustness-lens ${report.tool.version}` : null,
  ].filter((f): f is string => f !== null);
  out.push(`${facts.join(' · ')}.`, '');
  if (report.error) out.push(`> **${mdCell(report.error.code)}**: ${mdCell(report.error.message)}`, '');

  const lines = verdictLines(reportVerdict(report));
  out.push(`${hx(1)} Verdict`, '');
  if (lines.length) out.push(...lines.map((l) => `- ${l.text.replace(/\r?\n/g, ' ')}`), '');
  else out.push('No figures in this report.', '');

  const findingTexts = new Set<string>();
  for (const sanity of sectionsOf<SanitySection>(report, 'sanity')) {
    const findings = Array.isArray(sanity.findings) ? sanity.findings : [];
    for (const f of findings) findingTexts.add(String(f.message));
    if (!findings.length) continue;
    out.push(`${hx(1)} Sanity check`, '', ...findings.map((f) => `- ⚠️ ${String(f.message ?? f.check).replace(/\r?\n/g, ' ')}`), '');
  }

  const runs = sectionsOf<AttacksSection>(report, 'attacks').flatMap((s) => (Array.isArray(s.runs) ? s.runs : []));
  if (runs.length) {
    out.push(
      `${hx(1)} Attacks`,
      '',
      '| Attack | Mode | Clean top-1 | Attacked top-1 | Success rate | #Adv | Median L2 | Median L∞ | Median ε found |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...runs
        .map((r) =>
          [
            mdCell(r.label),
            modeWords(r.mode) + (r.targeted ? `, targeted ${mdCell(String(r.targeted))}` : ''),
            pct(r.clean?.top1Accuracy),
            pct(r.attacked?.top1Accuracy),
            pct(r.successRate),
            String(r.numAdversarial ?? '—'),
            num(r.norms?.successful?.l2?.median),
            num(r.norms?.successful?.linf?.median),
            r.mode === 'minimal-eps' ? num(r.epsilon?.median) : '—',
          ].join(' | '),
        )
        .map((row) => `| ${row} |`),
      '',
    );
  }

  const defences = sectionsOf<DefencesSection>(report, 'defences').flatMap((s) => (Array.isArray(s.results) ? s.results : []));
  if (defences.length) {
    out.push(
      `${hx(1)} Defences`,
      '',
      '| Defence | Attack | Mode | #Adv | Defence rate, non-adaptive | Adaptive attack | Defence rate, adaptive (images) |',
      '| --- | --- | --- | ---: | ---: | --- | ---: |',
    );
    for (const d of defences) {
      const name = defenceName(d.defence);
      for (const row of d.rows ?? []) {
        const a = row.adaptive;
        out.push(
          `| ${[
            mdCell(name),
            mdCell(row.attack?.label ?? '?'),
            MODE_WORDS[row.attack?.mode] ?? mdCell(String(row.attack?.mode)),
            String(row.numAdversarial ?? '—'),
            pct(row.defenceRate),
            a ? mdCell(a.label.split(/ \(|,/)[0]) : 'not run',
            a ? `${pct(a.defenceRate)} (${a.images}; non-adaptive on the same: ${pct(a.nonAdaptiveDefenceRate)})` : '—',
          ].join(' | ')} |`,
        );
      }
    }
    out.push('');
  }

  // Sanity findings are report warnings too: listed once, above.
  const warnings = (Array.isArray(report.warnings) ? report.warnings : []).filter((w) => !findingTexts.has(String(w)));
  if (warnings.length) out.push(`${hx(1)} Warnings`, '', ...warnings.map((w) => `- ${String(w).replace(/\r?\n/g, ' ')}`), '');

  const used = definitionsUsed(report);
  if (used.length) out.push(`${hx(1)} Definitions`, '', ...used.map(([term, text]) => `- **${term}**: ${text}`), '');
  return out.join('\n');
}

/** The Markdown summary of a panel: one run, or two compared runs one after the other. */
export function runsMarkdown(reports: readonly ReportV1[]): string {
  if (reports.length <= 1) return reports.length ? reportMarkdown(reports[0]) : '';
  return [
    `# Robustness comparison: ${reports.map((r) => baseName(r.model?.path ?? '?')).join(' vs ')}`,
    '',
    ...reports.map((r) => reportMarkdown(r, 2)),
  ].join('\n');
}

function defenceName(spec: { kind: string; params?: unknown } | undefined): string {
  const kind = spec?.kind ?? '?';
  const params = (spec?.params ?? {}) as Record<string, unknown>;
  if (kind === 'post-averaging') return `Post-averaging (K=${String(params.K)}, r=${num(params.radius as number)})`;
  if (kind === 'low-pass') return `Low-pass filter (cutoff ${String(params.cutoff)})`;
  return kind;
}

function definitionsUsed(report: ReportV1): [string, string][] {
  const kinds = new Set(Object.values(report.sections ?? {}).map(sectionKind));
  const modes = new Set(
    sectionsOf<AttacksSection>(report, 'attacks').flatMap((s) => (Array.isArray(s.runs) ? s.runs.map((r) => MODE_WORDS[r.mode]) : [])),
  );
  return DEFINITIONS.filter(([term]) => {
    if (term === 'Robust accuracy') return kinds.has('attacks');
    if (term === 'Defence rate' || term === 'Adaptive attack') return kinds.has('defences');
    if (term === 'Occluded Frequency') return kinds.has('occluded-frequency');
    if (term === 'RCT') return kinds.has('rct');
    return [...modes].some((m) => m && term.toLowerCase() === m.toLowerCase());
  });
}
