/**
 * AUTH.md §4: "A neuron whose `auth` throws `CredentialRevokedError` emits it as an `error` event
 * and keeps reconnecting at its maximum delay; it never retries faster."
 */
import { NeuronError } from '@holokai/neuron-sdk';
import { afterEach, expect, it } from 'vitest';
import { createHarness, disposeHarnesses, eventsNamed, TOKEN } from './harness.js';

afterEach(disposeHarnesses);

it('reports a revoked credential as it is and reconnects at the maximum delay', async () => {
  let revoked = false;
  const h = await createHarness({
    auth: () => {
      if (revoked) throw new NeuronError('NEURON_ERR_CREDENTIAL_REVOKED', 'revoked: re-enroll');
      return TOKEN;
    },
    neuron: { heartbeatIntervalMs: 60_000, initialReconnectDelayMs: 20, maxReconnectDelayMs: 150 },
  });
  h.neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
  await h.start();
  revoked = true;
  h.gw.dropStream('neuron-1');
  await expect.poll(() => eventsNamed(h.events, 'connection:reconnecting').length).toBe(3);
  const [, ...later] = eventsNamed(h.events, 'connection:reconnecting').map(([e]) => e.delayMs);
  expect(later).toEqual([150, 150]);
  const reported = h.errors.filter(
    (e) => (e as NeuronError).code === 'NEURON_ERR_CREDENTIAL_REVOKED',
  );
  expect(reported.length).toBeGreaterThanOrEqual(2);
  expect(reported[0]?.message).toBe('revoked: re-enroll');
  revoked = false;
  await h.gw.waitFor('registered', (e) => e.neuronId === 'neuron-1');
  await h.stop();
});
