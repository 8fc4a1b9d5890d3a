// @ts-check
import tseslint from 'typescript-eslint';

const NO_VSCODE = { name: 'vscode', message: 'only src/extension/ may use the VS Code API.' };
const NO_ONNXRUNTIME = {
  name: 'onnxruntime-node',
  message: 'only the engine loads the native runtime (in the engine process or the CLI).',
};
const REQUIRE_VSCODE = {
  selector: "CallExpression[callee.name='require'][arguments.0.value=/^(vscode|onnxruntime-node)$/]",
  message: 'only src/extension/ may use vscode, only the engine onnxruntime-node.',
};
/** Engine modules with no runtime imports of their own, which src/protocol may use at run time. */
const PURE_ENGINE_MODULES = ['engine/report/schema', 'engine/attacks/catalog'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'samples/out/**', '.robustness/**', 'test/fixtures/images/**', '.e2e/**'] },
  // Type-checked rules: a promise nobody awaits loses its error (and, in a job, its cancellation).
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // ONNX's proto fields (data and element types, locations) are plain integers, compared with the enums' members by design.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON reports and fake async interfaces: untyped values and async methods without await are their normal case.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  // Build scripts in plain JavaScript are outside the TypeScript project.
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The engine runs in a child process and in the CLI: it must never depend on the VS Code API.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'src/engine/ must not import vscode: it runs outside the extension host (CLI, engine process).' },
          ],
          patterns: [{ group: ['**/extension/**', '../extension*'], message: 'src/engine/ must not depend on extension-side code.' }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']",
          message: 'src/engine/ must not require vscode.',
        },
      ],
    },
  },
  {
    // Host logic is vscode-free so that it is unit-tested without VS Code; the webview runs in a browser.
    // Neither may load the native runtime (only the engine process does).
    files: ['src/host/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_VSCODE, NO_ONNXRUNTIME] }],
      'no-restricted-syntax': ['error', REQUIRE_VSCODE],
    },
  },
  {
    // The protocol is bundled into the extension host and the webview: from the engine it takes types only
    // (a runtime import would drag the engine, and onnxruntime-node, in), except the pure modules listed.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [NO_VSCODE, NO_ONNXRUNTIME],
          patterns: [
            {
              regex: `(^|/)engine/(?!(${PURE_ENGINE_MODULES.map((m) => m.replace('engine/', '')).join('|')})$)`,
              allowTypeImports: true,
              message: `src/protocol/ may take only types from src/engine (runtime imports only from the pure modules ${PURE_ENGINE_MODULES.join(', ')}).`,
            },
            {
              group: ['**/extension/**', '**/host/**', '**/engineProcess/**', '**/cli/**', '**/webview/**'],
              message: 'src/protocol/ is what the others share: it depends on none of them.',
            },
          ],
        },
      ],
      'no-restricted-syntax': ['error', REQUIRE_VSCODE],
    },
  },
);
