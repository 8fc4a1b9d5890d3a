/** The outcome of a `check` in three forms: text lines for the terminal, Markdown for CI summaries, JUnit XML for CI test views. */
import type { GateResult } from './gates';

export interface CheckOutcome {
  model: string;
  /** Images evaluated by the run. */
  images: number;
  baseline: string | null;
  results: GateResult[];
  notes: string[];
}

export const passedAll = (o: CheckOutcome): boolean => o.results.every((r) => r.passed);

/** Accuracies to four decimals; differences to a baseline signed. */
export function formatMeasured(r: Pick<GateResult, 'metric' | 'measured'>): string {
  const text = r.measured.toFixed(4);
  return r.metric.startsWith('vs-baseline.') && r.measured >= 0 ? `+${text}` : text;
}

const verdict = (o: CheckOutcome) => {
  const failed = o.results.filter((r) => !r.passed).length;
  return failed === 0 ? `all ${o.results.length} gates passed` : `${failed} of ${o.results.length} gates failed`;
};

export function gateLines(o: CheckOutcome): string[] {
  const width = Math.max(...o.results.map((r) => r.metric.length), 6);
  return [
    ...o.results.map((r) => `${r.passed ? 'PASS' : 'FAIL'}  ${r.metric.padEnd(width)}  ${formatMeasured(r).padStart(8)}  ${r.text.trim()}`),
    ...o.notes.map((n) => `note: ${n}`),
    `gates      ${verdict(o)}`,
  ];
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function gatesMarkdown(o: CheckOutcome): string {
  return [
    `### Robustness gates: ${passedAll(o) ? '✅' : '❌'} ${verdict(o)}`,
    '',
    `Model \`${cell(o.model)}\`, ${o.images} images${o.baseline ? `, baseline \`${cell(o.baseline)}\`` : ''}.`,
    '',
    '| Result | Metric | Measured | Gate |',
    '| --- | --- | ---: | --- |',
    ...o.results.map(
      (r) => `| ${r.passed ? '✅ PASS' : '❌ FAIL'} | \`${cell(r.metric)}\` | ${formatMeasured(r)} | \`${cell(r.text.trim())}\` |`,
    ),
    ...(o.notes.length ? ['', ...o.notes.map((n) => `> ${cell(n)}`)] : []),
    '',
  ].join('\n');
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** One `<testcase>` per gate; a failed gate's `<failure>` says what was measured against what. */
export function gatesJunit(o: CheckOutcome, seconds: number): string {
  const failures = o.results.filter((r) => !r.passed).length;
  const suite = escapeXml(`robustness-lens check ${o.model}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="robustness-lens" tests="${o.results.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${suite}" tests="${o.results.length}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">`,
    ...o.results.flatMap((r) => {
      const head = `    <testcase classname="robustness-lens.gates" name="${escapeXml(`${r.metric} ${r.text.trim()}`)}" time="0"`;
      if (r.passed) return [`${head}/>`];
      const message = escapeXml(`${r.metric} = ${formatMeasured(r)}, gate ${r.text.trim()}`);
      return [`${head}>`, `      <failure message="${message}" type="gate">${message}</failure>`, '    </testcase>'];
    }),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
