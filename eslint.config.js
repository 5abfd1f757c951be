// Lint is deliberately small: its main job is to keep `electron` inside src/main/electron/
// (README "Development": only src/main/electron/ may import electron).
import tseslint from 'typescript-eslint';

const noElectron = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'electron', message: 'Only src/main/electron/ may import electron; keep logic in plain modules.' },
        { name: 'electron-store', message: 'electron-store imports electron; use it only in src/main/electron/.' },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'examples/**', 'bench/results/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: noElectron,
  },
  {
    files: ['src/main/electron/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'child_process', 'net', 'electron', '../main/*', '../../main/*'], message: 'The renderer talks only through the API in src/shared.' },
          ],
        },
      ],
    },
  },
);
