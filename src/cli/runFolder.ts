/** The run folder of a CLI job: --out, or .robustness/runs/<ISO time>-<model stem>. */
import { join } from 'node:path';

export function runFolder(modelPath: string, flags: Record<string, unknown>, now = new Date()): string {
  if (typeof flags.out === 'string') return flags.out;
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return join('.robustness', 'runs', `${stamp}-${modelPath.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '')}`);
}
