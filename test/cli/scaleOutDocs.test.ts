/** docs/: the Kubernetes manifest parses and is an Indexed Job, the Slurm script passes bash -n, the Dockerfile copies what exists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { load } from 'js-yaml';
import { REPO_ROOT } from '../helpers/shared';

const doc = (name: string) => resolve(REPO_ROOT, 'docs', name);

test('the Kubernetes manifest is an Indexed Job whose JOB_COMPLETIONS equals its completions', () => {
  const job = load(readFileSync(doc('k8s-indexed-job.yaml'), 'utf8')) as {
    kind: string;
    spec: {
      completionMode: string;
      completions: number;
      template: { spec: { containers: { args: string[]; env: { name: string; value?: string }[] }[] } };
    };
  };
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  const c = job.spec.template.spec.containers[0];
  assert.equal(c.env.find((e) => e.name === 'JOB_COMPLETIONS')?.value, String(job.spec.completions));
  assert.ok(c.env.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
  assert.equal(c.args[0], 'attack');
});

test('the Slurm array script passes bash -n and runs an array', () => {
  const r = spawnSync('bash', ['-n', doc('slurm-array.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(doc('slurm-array.sh'), 'utf8'), /^#SBATCH --array=\d+-\d+$/m);
});

test("the Dockerfile's COPY sources exist and its entry point is the CLI the build writes", () => {
  const text = readFileSync(doc('Dockerfile'), 'utf8');
  const copies = [...text.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  assert.ok(copies.length >= 4);
  for (const src of copies) assert.ok(existsSync(resolve(REPO_ROOT, src)), `COPY ${src}: not in the repository`);
  // the build's entry points (esbuild.mjs) lie in folders the image copies
  const build = readFileSync(resolve(REPO_ROOT, 'esbuild.mjs'), 'utf8');
  const entries = [...build.matchAll(/\bin: '([^']+)'|WEBVIEW_ENTRY = '([^']+)'/g)].map((m) => m[1] ?? m[2]);
  assert.ok(entries.includes('src/cli/main.ts'));
  for (const e of entries) assert.ok(copies.includes(e.split('/')[0]) || copies.includes(e), `the build's entry ${e} is not copied`);
  assert.match(text, /^FROM node:20-slim$/m);
  assert.match(text, /ONNXRUNTIME_NODE_INSTALL=skip/);
  const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };
  assert.ok(text.includes(pkg.bin['robustness-lens'].replace(/^\.\//, '/opt/robustness-lens/')));
  assert.ok(pkg.scripts.build);
});
