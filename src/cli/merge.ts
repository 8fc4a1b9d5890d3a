/**
 * `robustness-lens merge <shard report.json | run folder…> --out DIR`: the shards' reports checked and merged
 * (src/engine/shard/merge.ts), the kept gallery PNGs copied. The run folder is built beside DIR and renamed into
 * place only once complete, so a failed merge leaves an existing DIR as it was.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EngineError } from '../engine/errors';
import { checkReportEnvelope } from '../engine/report/schema';
import { stringifyReport } from '../engine/report/reportJson';
import { mergeShardReports, type ShardInput } from '../engine/shard/merge';
import { formatAttackReport, formatEvalReport } from './format';

export const MERGE_USAGE = `  --out DIR              the merged run folder (report.json and the gallery); required. Shards must be complete runs
                         of the same command, model, configuration, seed, limit and shard count, all present`;

function readShard(arg: string): ShardInput & { dir: string } {
  const path = resolve(arg);
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'report.json') : path;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new EngineError('USAGE', `${file}: cannot read it as a report (${(e as Error).message})`);
  }
  const checked = checkReportEnvelope(value);
  if (!checked.ok) throw new EngineError('USAGE', `${file}: ${checked.reason}`);
  return { report: checked.report, source: file, dir: dirname(file) };
}

export async function mergeCommand({
  values,
  positionals,
}: {
  values: { out?: string; quiet?: boolean };
  positionals: string[];
}): Promise<number> {
  if (!values.out) throw new EngineError('USAGE', 'merge needs --out DIR (the merged run folder)');
  if (positionals.length === 0)
    throw new EngineError('USAGE', 'merge needs the shard reports: robustness-lens merge a.json b.json … --out DIR');
  const inputs = positionals.map(readShard);
  const { report, copies } = await mergeShardReports(inputs);
  const dirOf = new Map(inputs.map((s) => [s.report.shard!.index, s.dir]));
  for (const c of copies) {
    const from = join(dirOf.get(c.shard)!, c.from);
    if (!existsSync(from))
      throw new EngineError('USAGE', `shard ${c.shard}'s gallery image ${from} is missing (its run folder was moved without it?)`);
  }
  const out = resolve(values.out);
  const staging = `${out}.merging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { recursive: true });
    for (const c of copies) {
      mkdirSync(dirname(join(staging, c.to)), { recursive: true });
      copyFileSync(join(dirOf.get(c.shard)!, c.from), join(staging, c.to));
    }
    writeFileSync(join(staging, 'report.json'), stringifyReport(report) + '\n');
    // Swap into place: the old folder is removed only after the new one is complete.
    const old = `${out}.replaced-${process.pid}`;
    if (existsSync(out)) renameSync(out, old);
    renameSync(staging, out);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!values.quiet) {
    process.stdout.write((report.command === 'eval' ? formatEvalReport(report) : formatAttackReport(report)) + '\n');
    process.stdout.write(`merged     ${report.merged!.shards} shards\nrun        ${out}\n`);
  }
  return 0;
}
