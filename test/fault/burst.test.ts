/**
 * A burst of 10 000 leases across three capabilities with different concurrency. The gateway is
 * made to over-deliver (as a broker may): the neuron registers each capability with a high
 * concurrency, then lowers its own limit with `updateCapability()` while the gateway is kept from
 * hearing of it (its update-capability POST is answered by a scripted 202). So the gateway keeps
 * pushing up to 24 leases of each type, and the neuron's own queue has to hold the line.
 */
import { type LeaseSettledInfo, Neuron } from '@holokai/neuron-sdk';
import { createDevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, expect, it } from 'vitest';
import { expectBooksSettled } from './support/books.js';

// No e2e harness here: its resource tracker records a stack trace for every timer the run
// creates, which would slow 10 000 leases threefold. Leftovers are checked by the other suites.
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const TOTAL = Number(process.env.BURST_TOTAL ?? 10_000);
const ADVERTISED = 24;
const LIMITS = { 'acme/one': 1, 'acme/four': 4, 'acme/sixteen': 16 } as const;
type Type = keyof typeof LIMITS;

it(`settles a burst of ${TOTAL} leases across three capabilities, never running more than each one's concurrency`, async () => {
  const gw = await createDevGateway({ token: 'burst', leaseTtlMs: 120_000 });
  const neuron = new Neuron({
    gatewayUrl: gw.url,
    neuronId: 'n-burst',
    auth: () => 'burst',
    heartbeatIntervalMs: 1_000,
  });
  const settled: LeaseSettledInfo[] = [];
  neuron.on('lease:settled', (info) => settled.push(info));
  const h = { gw, neuron };
  cleanup = async () => {
    await neuron.stop({ drain: false });
    await gw.close();
  };
  const active: Record<string, number> = {};
  const peak: Record<string, number> = {};
  let peakQueued = 0;
  for (const type of Object.keys(LIMITS) as Type[]) {
    active[type] = 0;
    peak[type] = 0;
    h.neuron.handle({ type, scope: 'any', concurrency: ADVERTISED }, async (input) => {
      active[type]! += 1;
      peak[type] = Math.max(peak[type]!, active[type]!);
      // Some handlers return at once, some after an I/O turn: slots free in mixed order.
      if ((input as number) % 3 !== 0) await new Promise<void>((r) => setImmediate(r));
      active[type]! -= 1;
      return input;
    });
  }
  const registered = gw.waitFor('registered');
  await neuron.start();
  await registered;
  for (const [type, concurrency] of Object.entries(LIMITS)) {
    h.gw.failNext('update-capability', { status: 202, body: null });
    await h.neuron.updateCapability({ type, concurrency });
  }
  const types = Object.keys(LIMITS) as Type[];
  const started = Date.now();
  for (let i = 0; i < TOTAL; i++) {
    h.gw.submitTask({ capabilityType: types[i % types.length]!, input: i });
  }
  const sample = setInterval(() => {
    for (const c of h.neuron.snapshot().capabilities) peakQueued = Math.max(peakQueued, c.queued);
  }, 20);
  try {
    await expect.poll(() => settled.length, { timeout: 60_000, interval: 100 }).toBe(TOTAL);
  } finally {
    clearInterval(sample);
  }
  const took = Date.now() - started;
  console.info(
    `burst: ${TOTAL} leases settled in ${took} ms (${Math.round((TOTAL / took) * 1000)}/s)`,
  );
  for (const [type, limit] of Object.entries(LIMITS)) {
    expect(peak[type], type).toBeLessThanOrEqual(limit);
    expect(peak[type], type).toBe(limit); // and the limit was reached
  }
  expect(peakQueued).toBeGreaterThan(0); // the neuron's queue did the limiting
  expect(settled.filter((s) => s.settlement !== 'delivered' || s.outcome?.kind !== 'ack')).toEqual(
    [],
  );
  expect(new Set(settled.map((s) => s.leaseId)).size).toBe(TOTAL);
  expect(h.gw.requestsTo('ack')).toHaveLength(TOTAL); // one outcome per lease, no retries needed
  expect(expectBooksSettled(h.gw.tasks())).toMatchObject({ tasks: TOTAL, acked: TOTAL });
  expect(h.neuron.snapshot().leases).toEqual([]);
  await neuron.stop();
  await gw.close();
}, 90_000);
