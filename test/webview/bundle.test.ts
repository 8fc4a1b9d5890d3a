import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../helpers/shared';

const SRC = join(REPO_ROOT, 'webview', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

test('webview/src/main.ts bundles for the browser into one script and one stylesheet, without Node or engine code', async () => {
  const result = await build({
    entryPoints: [join(SRC, 'main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outdir: '/virtual',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  assert.deepEqual(result.errors, []);
  const names = result.outputFiles.map((f) => f.path.replace('/virtual/', '')).sort();
  assert.deepEqual(names, ['main.css', 'main.js']);
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(
    inputs.some((i) => i.includes('node_modules/d3-selection')),
    'd3 is bundled',
  );
  assert.ok(
    inputs.some((i) => i.includes('@vscode-elements/elements')),
    'the web components are bundled',
  );
  const engine = inputs.filter((i) => i.startsWith('src/') && !i.startsWith('src/protocol/'));
  assert.deepEqual(
    engine,
    [],
    'only the shared protocol modules (messages, schemas, report maps) come from src/ (engine types are erased)',
  );
  assert.ok(!inputs.includes('src/protocol/engineMessages.ts'), 'the engine messages stay out of the webview');
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))!.text;
  assert.ok(css.includes('var(--vscode-foreground)'), 'text colours come from VS Code variables');
  assert.match(
    css,
    /body\.vscode-light,\s*body\.vscode-high-contrast-light\s*\{\s*--rl-series-0:/,
    'series colours are chosen per theme kind',
  );
});

test('no webview source builds HTML from strings (innerHTML, outerHTML, insertAdjacentHTML, document.write) or evaluates code', () => {
  const offenders = sources(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/.test(text) ? [file] : [];
  });
  assert.deepEqual(offenders, []);
});
