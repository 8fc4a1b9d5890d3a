/** A copy of the bundled sample (model, images, robustness.json) in a temp folder, with gates written into its robustness.json. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/shared';

export const CLI = resolve(REPO_ROOT, 'src/cli/main.ts');
/** tsx by file URL: `--import tsx` would be looked up from the temp folder the command runs in. */
export const TSX = pathToFileURL(resolve(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** `under`: a subfolder of the temp folder to put the copy in (README commands name `samples/…`). */
export function sampleCopy(gates: Record<string, unknown>, under = ''): { root: string; dir: string; model: string; config: string } {
  const root = mkdtempSync(join(tmpdir(), 'rl-check-'));
  const dir = join(root, under);
  cpSync(resolve(REPO_ROOT, 'samples/fashion-resnet.onnx'), join(dir, 'fashion-resnet.onnx'));
  cpSync(resolve(REPO_ROOT, 'samples/images'), join(dir, 'images'), { recursive: true });
  const config = JSON.parse(readFileSync(resolve(REPO_ROOT, 'samples/robustness.json'), 'utf8')) as Record<string, unknown>;
  delete config.$schema;
  writeFileSync(join(dir, 'robustness.json'), JSON.stringify({ ...config, gates }, null, 2));
  return { root, dir, model: join(dir, 'fashion-resnet.onnx'), config: join(dir, 'robustness.json') };
}

export function setGates(config: string, gates: Record<string, unknown>): void {
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), gates }, null, 2));
}

export function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
