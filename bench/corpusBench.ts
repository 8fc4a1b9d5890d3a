/**
 * Bench row 15: forward + input gradient on every fixture of the architecture corpus
 * (test/fixtures/arch/manifest.json) at the fixture's own size, side by side with the same PyTorch module
 * (rebuilt by scripts/fixtures/make-arch-fixtures.py's builders in bench/torchPeer.py; random weights do
 * not change the cost). Batch 32, alternating rounds, same thread count. The README's corpus table quotes
 * the ratios.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareModel } from '../src/engine/jobs/prepare';
import { errorText } from '../src/engine/errors';
import { TorchPeer } from './peer';
import { forwardGradientRow } from './bench224';

const ARCH = resolve(__dirname, '..', 'test', 'fixtures', 'arch');
const BATCH = Number(process.env.BENCH_CORPUS_BATCH ?? 32);
const ROUNDS = Number(process.env.BENCH_CORPUS_ROUNDS ?? 3);

export async function corpusBench(threads: number): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(ARCH, 'manifest.json'), 'utf8')) as {
    models: { name: string; file: string; input_shape: (string | number)[] }[];
  };
  const peer = await TorchPeer.start(threads);
  console.log(
    `\n15. architecture corpus: forward + input gradient at batch ${BATCH}, the fixture's size, side by side with PyTorch (${threads} threads each, ${ROUNDS} alternating rounds; ms per call, medians)`,
  );
  if (typeof peer === 'string') {
    console.log(`    skipped: ${peer}`);
    return;
  }
  console.log(`    PyTorch: OMP_WAIT_POLICY ${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}, BLAS ${peer.blas.join(', ') || 'none loaded'}`);
  try {
    console.log('fixture                  input        ours ms   PyTorch ms   PyTorch/ours');
    for (const f of manifest.models) {
      const name = `arch:${f.name}`;
      const shape = f.input_shape.slice(1).join('×');
      try {
        const a = await peer.request({ cmd: 'load', model: name });
        if (a.error) throw new Error(`PyTorch: ${a.error}`);
        const prepared = await prepareModel({
          modelPath: join(ARCH, f.file),
          overrides: { runtime: { executionProvider: 'cpu', threads } },
        });
        const r = await forwardGradientRow(f.name, prepared, BATCH, threads, peer, name, ROUNDS, 0.5);
        const ratio = r.theirs === null ? '—' : (r.theirs / r.ours).toFixed(2);
        console.log(
          `${f.name.padEnd(24)} ${shape.padEnd(10)} ${(r.ours * 1000).toFixed(1).padStart(9)}   ${r.theirs === null ? '—'.padStart(10) : (r.theirs * 1000).toFixed(1).padStart(10)}   ${ratio.padStart(12)}${r.note ? `   (${r.note})` : ''}`,
        );
      } catch (e) {
        console.log(`${f.name.padEnd(24)} ${shape.padEnd(10)} failed: ${errorText(e)}`);
      }
    }
  } finally {
    peer.close();
  }
}
