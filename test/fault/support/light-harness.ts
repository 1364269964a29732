/**
 * The e2e harness's shape (a real `Neuron` against the reference gateway, every event recorded)
 * without its resource tracker, so tests can run concurrently: the tracker sees every timer of
 * the process, so one test's live neuron would count as another's leftover. The fault suites
 * check leftovers in their sequential tests (process-kill, connection refused, the auth stop).
 * Cleanup is per test (`onTestFinished` of the test's own context), never global.
 */
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import type { TestContext } from 'vitest';
import { type Harness, type HarnessOptions, recordedNeuron, TOKEN } from '../../e2e/harness.js';

export { eventsNamed, TOKEN } from '../../e2e/harness.js';

export type LightHarness = Harness;

export async function lightHarness(
  context: Pick<TestContext, 'onTestFinished'>,
  options: HarnessOptions = {},
): Promise<LightHarness> {
  const gw = await createDevGateway({ token: TOKEN, ...options.gateway });
  const recorded = recordedNeuron(gw, options);
  context.onTestFinished(async () => {
    await recorded.neuron.stop({ drain: false }).catch(() => {});
    await gw.close().catch(() => {});
  });
  return {
    ...recorded,
    async stop(stopOptions) {
      await recorded.neuron.stop(stopOptions);
      await gw.close();
    },
  };
}
