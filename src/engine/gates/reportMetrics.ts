/** A report's gate metrics (names: ./metricNames.ts), read from its attack runs and clean evaluation. */
import type { AttacksSection } from '../jobs/attackJob';
import type { ReportV1 } from '../report/schema';
import { runNames } from './metricNames';

export type Metrics = Map<string, number>;

export function reportMetrics(report: ReportV1): Metrics {
  const metrics: Metrics = new Map();
  const runs = (report.sections.attacks as AttacksSection | undefined)?.runs ?? [];
  // Every run of a suite evaluates the same images, so the first run's clean accuracy is the suite's.
  const clean = report.sections.clean ?? runs[0]?.clean;
  if (clean) {
    metrics.set('clean.top1', clean.top1Accuracy);
    metrics.set('clean.top5', clean.top5Accuracy);
  }
  const names = runNames(runs.map((r) => ({ attack: String(r.params.attack), params: r.params })));
  runs.forEach((run, k) => {
    metrics.set(`attack.${names[k]}.top1`, run.attacked.top1Accuracy);
    metrics.set(`attack.${names[k]}.top5`, run.attacked.top5Accuracy);
    metrics.set(`attack.${names[k]}.success`, run.successRate);
  });
  return metrics;
}
