/**
 * The panel's bundle built for a test, with the project's own build options (esbuild.mjs `webviewBuild`), into
 * a temporary folder: the HTML report inlines it, and a test must not depend on (or write into) dist/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO_ROOT } from './shared';

let built: Promise<string> | null = null;

/** The folder holding webview.js and webview.css (built once per test process, minified as the package ships it). */
export function webviewBundleDir(): Promise<string> {
  built ??= (async () => {
    const { webviewBuild } = (await import(pathToFileURL(resolve(REPO_ROOT, 'esbuild.mjs')).href)) as {
      webviewBuild: (outdir: string, minified: boolean) => Parameters<typeof build>[0];
    };
    const dir = mkdtempSync(join(tmpdir(), 'rl-webview-bundle-'));
    await build({ ...webviewBuild(dir, true), logLevel: 'silent' });
    return dir;
  })();
  return built;
}
