import { EngineError } from '../errors';
import { Rng } from '../util/random';
import type { Dataset, DatasetSample } from './dataset';

/**
 * A reproducible, class-stratified subset of at most `limit` samples. Each class gets its share of the
 * limit, N·n_c/n, rounded by largest remainder (ties to the lower class index), so the subset's class
 * mix matches the dataset's; which images a class contributes is a seeded shuffle. The result keeps the
 * dataset's stable order (class, then relPath). No limit, or limit ≥ dataset size: every sample.
 */
export function sampleDataset(ds: Dataset, opts: { limit?: number; seed: number }): DatasetSample[] {
  const { limit, seed } = opts;
  if (limit === undefined || limit >= ds.samples.length) return ds.samples.slice();
  if (!Number.isInteger(limit) || limit < 1) throw new EngineError('USAGE', `limit must be a positive integer, got ${limit}`);

  const byClass = new Map<number, DatasetSample[]>();
  for (const s of ds.samples) {
    const list = byClass.get(s.label);
    if (list) list.push(s);
    else byClass.set(s.label, [s]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const total = ds.samples.length;
  const quota = new Map<number, number>();
  const remainders: { label: number; rem: number }[] = [];
  let given = 0;
  for (const c of classes) {
    // Integer arithmetic, so equal remainders compare equal and the tie rule really applies.
    const share = limit * byClass.get(c)!.length;
    const whole = Math.floor(share / total);
    quota.set(c, whole);
    given += whole;
    remainders.push({ label: c, rem: share - whole * total });
  }
  remainders.sort((a, b) => b.rem - a.rem || a.label - b.label);
  for (let i = 0; i < limit - given; i++) quota.set(remainders[i].label, quota.get(remainders[i].label)! + 1);

  const rng = new Rng(seed);
  const chosen = new Set<DatasetSample>();
  for (const c of classes) {
    const pool = rng.shuffle(byClass.get(c)!.slice());
    for (const s of pool.slice(0, quota.get(c))) chosen.add(s);
  }
  return ds.samples.filter((s) => chosen.has(s));
}
