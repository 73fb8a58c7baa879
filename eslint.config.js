// Lint rules that keep the layers apart: core/ is pure Node (no electron), and
// nothing builds shell strings (child_process.exec with a string) — argv arrays only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'test/fixtures/.build/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'child_process', message: 'Run commands through the runner (execa, argv arrays).' }] }],
    },
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/rpc/**/*.ts', 'src-main/cli/**/*.ts', 'src-main/web/**/*.ts', 'src-preload/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Only src-main/electron/ and the preload bridge may import electron.' },
            { name: 'child_process', message: 'Run commands through the runner (execa, argv arrays).' },
            { name: 'node:child_process', message: 'Run commands through the runner (execa, argv arrays).' },
          ],
        },
      ],
    },
  },
  {
    // The fd-3 launcher is the one program that must hand a PTY child an extra pipe.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', 'src-main/launcher/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
