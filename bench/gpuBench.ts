/**
 * `npm run bench:gpu`: the first GPU provider that passes doctor's checks (a tiny model and the bundled sample's
 * gradient graph, compared with float64 / the CPU), or why none does.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runDoctor } from '../src/engine/runtime/doctor';
import type { ExecutionProviderName } from '../src/engine/config/configFile';

export async function pickGpuProvider(): Promise<{ provider: ExecutionProviderName | null; lines: string[] }> {
  const sample = resolve(__dirname, '..', 'samples', 'fashion-resnet.onnx');
  const report = await runDoctor({
    gradientModel: existsSync(sample) ? sample : null,
    gradientNote: `${sample} not found`,
    providers: ['cpu', 'cuda', 'webgpu', 'dml', 'coreml'],
  });
  const provider = (report.accelerators[0] as ExecutionProviderName | undefined) ?? null;
  const lines = report.providers
    .filter((p) => p.name !== 'cpu' && p.inBuild)
    .map((p) => `  ${p.name}: ${p.works ? 'works' : `does not work — ${p.reason}`}`);
  return { provider, lines };
}
