/**
 * File snapshots under test/webview/__snapshots__/. A differing snapshot fails; a missing one fails in CI
 * and is written otherwise; UPDATE_SNAPSHOTS=1 rewrites them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '__snapshots__');

export function matchSnapshot(name: string, actual: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_SNAPSHOTS === '1' || (!existsSync(file) && !process.env.CI)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${name} is missing (run the tests with UPDATE_SNAPSHOTS=1 outside CI to write it)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 rewrites it if the change is intended)`);
}

/** One element per line, so a snapshot diff points at the element that changed. */
export function prettySvg(markup: string): string {
  return markup.replace(/></g, '>\n<') + '\n';
}
