/**
 * Bugs the fuzzer found, each pinned by the smallest scenario that shows it.
 */
import { Neuron, type Transport, type TransportCallbacks } from '@holokai/neuron-sdk';
import { afterEach, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Found by the fuzzer (a reconnect, then `register` answered 401 twice, then `stop()`): the
 * transport reported the second 401 while the neuron was closing, after its connection had
 * stopped, and the wiring sent `auth-rejected` to the stopped connection (XState warns).
 */
it('sends nothing to a connection that has stopped when a POST then meets a second 401', async () => {
  const warn = vi.spyOn(console, 'warn');
  let callbacks: TransportCallbacks = {};
  let finishClosing = (): void => {};
  const closing = new Promise<void>((resolve) => {
    finishClosing = resolve;
  });
  let stops = 0;
  const transport: Transport = {
    subscribe: (cb) => {
      callbacks = cb;
    },
    start: async () => {},
    // The connection's own close returns at once; the drain's (step 4) waits for the test.
    stop: () => (++stops === 1 ? Promise.resolve() : closing),
    post: async () => undefined,
    isConnected: () => true,
  };
  const neuron = new Neuron({ neuronId: 'r-1', transport });
  neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
  await neuron.start();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const stopped = neuron.stop({ drain: false });
  expect(neuron.snapshot().connection.state).toBe('stopped');
  expect(neuron.getState()).toBe('draining');
  callbacks.onAuthRejected?.();
  callbacks.onClose?.('late close');
  finishClosing();
  await stopped;
  const stale = warn.mock.calls.filter((args) => String(args[0]).includes('stopped actor'));
  expect(stale).toEqual([]);
});

/**
 * PROTOCOL.md: "A lease named in `lost` is aborted at once … and no outcome is posted for it."
 * A lease whose ack was being retried ignored `lost` and kept posting it until it expired.
 */
it('stops retrying an outcome once a heartbeat reports the lease lost', async () => {
  const { createDevGateway } = await import('@holokai/neuron-sdk/dev-gateway');
  const gw = await createDevGateway();
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'r-2',
    auth: () => 'token',
    heartbeatIntervalMs: 20,
  });
  neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
  const settled = new Promise<string>((resolve) => {
    neuron.on('lease:settled', (e) => resolve(e.settlement));
  });
  gw.failNext('ack', { status: 503, retryAfter: '1' });
  const registered = gw.waitFor('registered');
  await neuron.start();
  await registered;
  const leased = gw.waitFor('lease');
  gw.submitTask({ capabilityType: 'acme/echo', input: { n: 1 } });
  const { leaseId } = await leased;
  await gw.waitFor('request', (r) => r.path === 'ack' && r.status === 503);
  gw.failNext('heartbeat', { status: 200, body: { leases: [], lost: [leaseId] } });
  expect(await settled).toBe('lost');
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect(gw.requestsTo('ack').map((r) => r.status)).toEqual([503]);
  await neuron.stop();
  await gw.close();
});
