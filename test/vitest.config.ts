import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  resolve: {
    // Tests, examples and the README's quick start import the package by its name, as users do.
    alias: [
      { find: /^@holokai\/neuron-sdk$/, replacement: `${root}src/index.ts` },
      { find: /^@holokai\/neuron-sdk\/machines$/, replacement: `${root}machines/index.ts` },
      {
        find: /^@holokai\/neuron-sdk\/(auth|dev-gateway|ipc|testing)$/,
        replacement: `${root}src/$1/index.ts`,
      },
      // package.json "imports": the Node variants, as under Node's `node` condition (vite would
      // otherwise resolve them to dist/, the last build).
      { find: /^#platform\/http$/, replacement: `${root}src/transport/platform-node.ts` },
      { find: /^#platform\/loop-delay$/, replacement: `${root}src/neuron/loop-delay-node.ts` },
      {
        find: /^#platform\/default-logger$/,
        replacement: `${root}src/neuron/default-logger-node.ts`,
      },
      {
        find: /^#platform\/load-module$/,
        replacement: `${root}src/capability/load-module-node.ts`,
      },
    ],
  },
  test: {
    // Neurons built without a logger log warnings to stderr; tests that look at that set their own.
    env: { NEURON_LOG_LEVEL: 'silent' },
    include: ['test/**/*.test.ts'],
    // Finds (or, as root on Debian, installs) the Chrome/Chromium the dashboard tests drive.
    globalSetup: ['test/support/chromium.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
  },
});
