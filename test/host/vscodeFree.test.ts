import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared';

describe('src/host', () => {
  it('never imports vscode (its logic is unit-tested without VS Code)', () => {
    const dir = join(REPO_ROOT, 'src', 'host');
    const offenders = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /(?:from\s+|require\(\s*|import\(\s*)['"]vscode['"]/.test(readFileSync(join(dir, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
