/**
 * A neuron whose token the gateway rejects is not silent: one `error` event (a
 * `GatewayStatusError` 401) per streak of rejections, not one per retry.
 */
import { GatewayStatusError } from '@holokai/neuron-sdk';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { expect, it } from 'vitest';
import { eventsNamed, recordedNeuron } from './harness.js';

it('reports a rejected token once per streak, then again after a registration ends it', async () => {
  const gw = await createDevGateway({ token: 'right' });
  let token = 'wrong';
  const n = recordedNeuron(gw, { auth: () => token });
  n.neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
  await n.neuron.start();
  await expect
    .poll(() => eventsNamed(n.events, 'connection:reconnecting').length)
    .toBeGreaterThan(3);
  const rejected = n.errors.filter((e) => e instanceof GatewayStatusError && e.status === 401);
  expect(rejected).toHaveLength(1);
  expect(rejected[0]?.message).toMatch(/401/);
  token = 'right';
  await gw.waitFor('registered', (e) => e.neuronId === n.neuron.neuronId);
  await n.neuron.stop();
  await gw.close();
});
