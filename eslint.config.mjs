// Lint config: typescript-eslint's recommended rules over the whole project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.next/', 'public/', 'test-results/', 'playwright-report/', 'next-env.d.ts', '.cache/', '.tmp/', 'out/', '.next-export/', '.next-server/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Synchronous read-back breaks WebGPU in the engine's worker (zeros, then a lost device): see lib/tokenformer/readBack.ts.
    files: ['lib/**/*.ts', 'components/**/*.ts', 'components/**/*.tsx', 'app/**/*.tsx'],
    ignores: ['**/*.test.ts', 'lib/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['dataSync', 'arraySync', 'bufferSync'].map((property) => ({ property, message: 'read back with await t.data() (readBack): sync reads break WebGPU in a worker' })),
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
