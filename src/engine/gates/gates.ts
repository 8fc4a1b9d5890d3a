/**
 * Gates: `"metric": "<op> <number>"` pairs from robustness.json's `gates`, parsed, checked against the metric
 * names a run will have, and evaluated against its measured values.
 */
import { EngineError } from '../errors';
import { BASELINE_PREFIX } from './metricNames';
import type { Metrics } from './reportMetrics';

export const OPERATORS = ['>=', '>', '<=', '<', '=='] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Gate {
  metric: string;
  operator: Operator;
  threshold: number;
  /** As written in robustness.json, for messages and reports. */
  text: string;
}

export interface GateResult extends Gate {
  measured: number;
  passed: boolean;
}

const COMPARISON = /^\s*(>=|<=|==|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*$/;
const EXPECTED = `expected an operator (${OPERATORS.join(', ')}) and a number, e.g. ">= 0.90" or ">= 90%"`;

/** One gate from its robustness.json entry; throws CONFIG_INVALID saying what was expected. */
export function parseGate(metric: string, text: unknown, file: string): Gate {
  const where = `${file}: gates."${metric}"`;
  const match = typeof text === 'string' ? COMPARISON.exec(text) : null;
  if (!match) throw new EngineError('CONFIG_INVALID', `${where}: ${JSON.stringify(text)} is not a comparison: ${EXPECTED}`, { file });
  const percent = match[3] === '%';
  const threshold = Number(match[2]) / (percent ? 100 : 1);
  // Accuracies and success rates are fractions; their differences to a baseline lie in [-1, 1].
  const low = metric.startsWith(BASELINE_PREFIX) ? -1 : 0;
  if (threshold < low || threshold > 1) {
    const hint = percent ? '' : ` (for a percentage write ${Number(match[2]) / 100} or ${match[2]}%)`;
    throw new EngineError('CONFIG_INVALID', `${where}: ${JSON.stringify(text)}: the threshold must be a fraction in [${low}, 1]${hint}`, {
      file,
    });
  }
  return { metric, operator: match[1] as Operator, threshold, text: text as string };
}

/** Every gate of a robustness.json `gates` object, in the file's order. */
export function parseGates(gates: Record<string, unknown>, file: string): Gate[] {
  return Object.entries(gates).map(([metric, text]) => parseGate(metric, text, file));
}

/** Refuses a gate on a metric the run will not have, listing the ones it will. */
export function checkGateMetrics(gates: readonly Gate[], available: readonly string[], file: string, why = ''): void {
  const unknown = gates.filter((g) => !available.includes(g.metric));
  if (unknown.length === 0) return;
  throw new EngineError(
    'CONFIG_INVALID',
    `${file}: gates on unknown metric${unknown.length > 1 ? 's' : ''} ${unknown.map((g) => `"${g.metric}"`).join(', ')}${why} (available: ${available.join(', ')})`,
    { file },
  );
}

export function compare(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
    case '==':
      // Accuracies are ratios of image counts: equal up to float rounding.
      return Math.abs(value - threshold) < 1e-9;
  }
}

/** Current metrics, plus `vs-baseline.<metric>` = current − baseline for metrics both have. */
export function withBaseline(current: Metrics, baseline: Metrics | null): Metrics {
  const all: Metrics = new Map(current);
  if (baseline) {
    for (const [name, value] of current) {
      const before = baseline.get(name);
      if (before !== undefined) all.set(`${BASELINE_PREFIX}${name}`, value - before);
    }
  }
  return all;
}

export function evaluateGates(gates: readonly Gate[], metrics: Metrics): GateResult[] {
  return gates.map((gate) => {
    const measured = metrics.get(gate.metric);
    if (measured === undefined) throw new Error(`gate metric ${gate.metric} was checked before the run but is missing from its report`);
    return { ...gate, measured, passed: compare(measured, gate.operator, gate.threshold) };
  });
}
