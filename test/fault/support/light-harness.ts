/**
 * The e2e harness's shape (a real `Neuron` against the reference gateway, every event recorded)
 * without its resource tracker, so tests can run concurrently: the tracker sees every timer of
 * the process, so one test's live neuron would count as another's leftover. The fault suites
 * check leftovers in their sequential tests (process-kill, connection refused, the auth stop).
 * Cleanup is per test (`onTestFinished` of the test's own context), never global.
 */
import { Neuron, type NeuronOptionsWithHttp } from '@holokai/neuron-sdk';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '@holokai/neuron-sdk/dev-gateway';
import type { TestContext } from 'vitest';
import { type RecordedEvent, TOKEN } from '../../e2e/harness.js';

export { eventsNamed, TOKEN } from '../../e2e/harness.js';

export interface LightHarness {
  gw: DevGateway;
  neuron: Neuron;
  events: RecordedEvent[];
  errors: Error[];
  authCalls: () => number;
  /** `neuron.start()`, then wait for the gateway to see it registered. */
  start(): Promise<void>;
  /** `neuron.stop(options)`, then close the gateway. */
  stop(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}

export async function lightHarness(
  context: Pick<TestContext, 'onTestFinished'>,
  options: {
    gateway?: DevGatewayOptions;
    neuron?: Partial<NeuronOptionsWithHttp>;
    auth?: () => string | Promise<string>;
  } = {},
): Promise<LightHarness> {
  const gw = await createDevGateway({ token: TOKEN, ...options.gateway });
  let calls = 0;
  const auth = options.auth ?? (() => TOKEN);
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'neuron-1',
    auth: () => {
      calls++;
      return auth();
    },
    heartbeatIntervalMs: 200,
    initialReconnectDelayMs: 20,
    maxReconnectDelayMs: 200,
    ...options.neuron,
  });
  const events: RecordedEvent[] = [];
  const errors: Error[] = [];
  for (const name of [
    'connection:open',
    'connection:registered',
    'connection:close',
    'connection:reconnecting',
    'error',
    'frame',
    'lease:received',
    'lease:settled',
  ] as const) {
    neuron.on(name, (...args: unknown[]) => events.push([name, ...args] as RecordedEvent));
  }
  neuron.on('error', (err) => errors.push(err));
  context.onTestFinished(async () => {
    await neuron.stop({ drain: false }).catch(() => {});
    await gw.close().catch(() => {});
  });
  return {
    gw,
    neuron,
    events,
    errors,
    authCalls: () => calls,
    async start() {
      const registered = gw.waitFor('registered', (e) => e.neuronId === neuron.neuronId);
      await neuron.start();
      await registered;
    },
    async stop(stopOptions) {
      await neuron.stop(stopOptions);
      await gw.close();
    },
  };
}
