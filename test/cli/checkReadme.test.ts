/**
 * The README's "CI gates" section: its YAML examples parse, every command they run is a `robustness-lens check`
 * whose flags parse, and those commands pass on the bundled sample with the section's example gates.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { load } from 'js-yaml';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECK_FLAG_SPEC } from '../../src/cli/check';
import { COMMON_FLAG_SPEC } from '../../src/cli/flags';
import { REPO_ROOT } from '../helpers/shared';
import { cli, sampleCopy } from './checkHelpers';

const README = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');
const SECTION = README.slice(README.indexOf('## CI gates'), README.indexOf('\n## ', README.indexOf('## CI gates') + 1));
const blocks = (lang: string) => [...SECTION.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

function parseYaml(text: string): unknown {
  return load(text);
}

/** Every string in the parsed YAML that runs `robustness-lens check`, one command each. */
function checkCommands(value: unknown): string[] {
  if (typeof value === 'string')
    return value
      .split(/\n|&&/)
      .map((s) => s.trim())
      .filter((s) => s.includes('robustness-lens check'));
  if (Array.isArray(value)) return value.flatMap(checkCommands);
  if (value && typeof value === 'object') return Object.values(value).flatMap(checkCommands);
  return [];
}

const yamlBlocks = blocks('yaml');
const commands = yamlBlocks.flatMap((text) => checkCommands(parseYaml(text)));
const sample = sampleCopy((JSON.parse(blocks('json')[0]) as { gates: Record<string, string> }).gates, 'samples');
after(() => rmSync(sample.root, { recursive: true, force: true }));

test('the CI gates section has a GitHub Actions and a GitLab CI example, each running check', () => {
  assert.equal(yamlBlocks.length, 2);
  const [github, gitlab] = yamlBlocks.map(parseYaml) as [Record<string, Record<string, Record<string, unknown>>>, Record<string, unknown>];
  assert.ok(Array.isArray(github.jobs.gates.steps), 'GitHub Actions: jobs.gates.steps');
  assert.equal(
    (gitlab['robustness-gates'] as { artifacts: { reports: { junit: string } } }).artifacts.reports.junit,
    'robustness-junit.xml',
  );
  assert.equal(commands.length, 2, commands.join('\n'));
});

test("the examples' check commands parse and pass on the bundled sample with the section's gates", () => {
  for (const command of commands) {
    assert.doesNotMatch(command, /["'$`\\]/, 'plain words only: the test splits on spaces');
    const words = command.split(/\s+/);
    assert.deepEqual(words.slice(0, 3), ['npx', 'robustness-lens', 'check'], command);
    const args = words.slice(3);
    const { positionals } = parseArgs({ args, options: { ...COMMON_FLAG_SPEC, ...CHECK_FLAG_SPEC }, allowPositionals: true, strict: true });
    assert.deepEqual(positionals, ['samples/fashion-resnet.onnx']);
    const r = cli(['check', ...args], sample.root);
    assert.equal(r.code, 0, `${command}\n${r.stderr}${r.stdout}`);
    assert.match(r.stdout, /gates {6}all 3 gates passed/);
  }
});
