// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'samples/out/**', '.robustness/**', 'test/fixtures/images/**', '.e2e/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine runs in a child process and in the CLI: it must never depend on the VS Code API.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/engine/ must not import vscode: it runs outside the extension host (CLI, engine process).' }],
        patterns: [{ group: ['**/extension/**', '../extension*'], message: 'src/engine/ must not depend on extension-side code.' }],
      }],
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']",
        message: 'src/engine/ must not require vscode.',
      }],
    },
  },
);
