// ESLint for cellshift: typescript-eslint's recommended rules, promises that must be awaited (or
// marked `void` where floating is meant), and the workflow sandbox: workflow code imports no Node
// builtins, no SDK clients, no adapters, and activities as types only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['assert', 'buffer', 'child_process', 'crypto', 'dns', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'path', 'process', 'stream', 'timers', 'timers/promises', 'url', 'util', 'worker_threads', 'zlib'];

export default tseslint.config(
  { ignores: ['eslint.config.js', 'bin/**', 'node_modules/**', 'data/**', 'dist/**', 'bench/results/**', 'test/histories/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The setup scripts are plain JavaScript: they run before anything is installed.
    files: ['scripts/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false, program: null }, globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Tests read untyped JSON from HTTP responses.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code. A concern's client side (starts, handles, visibility) sits beside its workflows in
    // `client.ts`, runs in the API, worker and scripts, and is never imported by workflow code.
    files: ['src/workflows/**/*.ts', 'test/fixtures/reordered-update.ts'],
    ignores: ['src/workflows/**/client.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, message: 'workflow code runs in a deterministic sandbox: no Node builtins' })),
            { name: '@temporalio/client', message: 'workflows reach other workflows through @temporalio/workflow, not a client' },
            { name: '@temporalio/worker', message: 'the worker is not workflow code' },
            { name: '@temporalio/activity', message: 'activity context exists only in activities' },
            { name: '@kubernetes/client-node', message: 'workflows decide; activities call the cluster' },
          ],
          patterns: [
            { group: ['@aws-sdk/*'], message: 'workflows decide; activities call AWS' },
            { group: ['**/adapters/**', '**/adapters'], message: 'workflows reach adapters only through activities' },
            { group: ['../activities', '../activities/*', '../../activities', '../../activities/*'], allowTypeImports: true, message: 'workflows import activity types only (proxyActivities<...>)' },
            { group: ['./client', '../client', '../*/client', './*/client'], message: 'the client side runs outside workflows: workflow code never imports it' },
            { group: ['**/domain/schemas', '**/domain/schemas/*'], allowTypeImports: true, message: 'schemas are values the API validates with: workflow code imports their types only' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "ThrowStatement > NewExpression[callee.name='Error']", message: 'a workflow fails with ApplicationFailure (throw new Error retries the workflow task forever)' },
        { selector: "MemberExpression[object.name='process']", message: 'workflow code reads no environment: pass what it needs in its input' },
      ],
    },
  },
);
