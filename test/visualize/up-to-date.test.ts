import { describe, expect, it } from 'vitest';
import { staleFiles } from '../../src/visualize/generate.js';
import { trackResources } from '../support/resources.js';

describe('visualizations/', () => {
  it('matches the machines and the recorded scenarios (else run `npm run visualize`)', async () => {
    const resources = trackResources();
    try {
      const { stale, missing, unexpected } = await staleFiles();
      const problems = [
        ...stale.map((f) => `stale: ${f}`),
        ...missing.map((f) => `missing: ${f}`),
        ...unexpected.map((f) => `no longer generated: ${f}`),
      ];
      expect(problems, 'visualizations/ is out of date: run `npm run visualize`').toEqual([]);
      // The scenarios stop their neurons, gateways and sockets.
      await expect.poll(() => resources.sdkLeftovers(), { timeout: 2_000 }).toEqual([]);
    } finally {
      resources.stop();
    }
  });
});
