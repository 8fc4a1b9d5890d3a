/**
 * Where the gradient model's time goes, op type by op type (onnxruntime's own profiler): the gradient model of
 * `model` (cross-entropy head) at `batch`, run `reps` times after one warm-up. Used to explain bench row 12.
 *   node --import tsx bench/profileGradient.ts MODEL.onnx [BATCH=1] [THREADS=2] [REPS=3]
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { prepareModel } from '../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../src/engine/grad/forClassifier';
import { encodeModel } from '../src/engine/onnx/onnxProto';
import { PIXELS } from '../src/engine/grad/classifierGradient';
import { HEAD_INPUTS } from '../src/engine/grad/lossHeads';
import { Rng } from '../src/engine/util/random';

async function main(): Promise<void> {
  const [file, batchArg, threadsArg, repsArg] = process.argv.slice(2);
  const batch = Number(batchArg ?? 1),
    threads = Number(threadsArg ?? 2),
    reps = Number(repsArg ?? 3);
  const prepared = await prepareModel({ modelPath: file, overrides: { runtime: { executionProvider: 'cpu', threads } } });
  const builder = await gradientBuilderFor(prepared, 'logits');
  const dir = mkdtempSync(join(tmpdir(), 'rl-profile-'));
  const path = join(dir, 'gradient.onnx');
  writeFileSync(path, encodeModel(builder.build({ kind: 'cross-entropy' })));
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // as ModelSession opens it: no spinning intra-op threads
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    enableProfiling: true,
    profileFilePrefix: join(dir, 'profile'),
  });
  const per = builder.pixelShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(1);
  const feeds: Record<string, ort.Tensor> = {
    [PIXELS]: new ort.Tensor(
      'float32',
      Float32Array.from({ length: batch * per }, () => rng.next()),
      [batch, ...builder.pixelShape],
    ),
    [HEAD_INPUTS.label]: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % builder.numClasses)),
      [batch],
    ),
  };
  for (let i = 0; i <= reps; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  // the profile is written as <prefix>_<timestamp>.json
  const profile = join(
    dir,
    readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'))!,
  );
  const events = JSON.parse(readFileSync(profile, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  const byOp = new Map<string, number>();
  let total = 0;
  for (const ev of events) {
    if (ev.cat !== 'Node' || !ev.name.endsWith('_kernel_time')) continue;
    const op = ev.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + ev.dur);
    total += ev.dur;
  }
  console.log(`${file}: gradient model at batch ${batch}, ${threads} threads, ${reps + 1} runs; kernel time by op type`);
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(
      `${op.padEnd(22)} ${(us / 1000 / (reps + 1)).toFixed(1).padStart(9)} ms/run  ${((100 * us) / total).toFixed(1).padStart(5)} %`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
