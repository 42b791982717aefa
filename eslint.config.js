// Lint: typescript-eslint's type-checked recommended rules; layout is prettier's job, not eslint's.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'build/', 'coverage/', '.tap/', 'src/native/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // To be burned down: report, do not fail.
      '@typescript-eslint/no-non-null-assertion': 'warn',
      // `async` without `await` is deliberate: an interface method or test callback returns a promise, a throw rejects it.
      '@typescript-eslint/require-await': 'off',
      // Backup's directory entries mix nodes already decided with pending ones, and go to Promise.all as they are.
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],
      // tap awaits the subtests `t.test()` returns; leaving them unawaited is tap's idiom.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // An unused parameter or binding named `_x` is deliberate (an interface's signature, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    // The install step runs before any dependency is built, as CommonJS.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
