import { afterEach, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createHarness, disposeHarnesses } from './harness.js';

afterEach(disposeHarnesses);

it('shows the neuron, connection, lease and drain actors to an inspection observer', async () => {
  const seen: InspectionEvent[] = [];
  const h = await createHarness({ neuron: { inspect: (event) => void seen.push(event) } });
  h.neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, () => 'ok');
  await h.start();
  const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: null });
  await h.gw.waitForTask(task.taskId);
  await h.stop();
  const machines = new Set(
    seen
      .filter((e) => e.type === '@xstate.actor')
      .map((e) => (e.actorRef.logic as { id?: string }).id)
      .filter(Boolean),
  );
  expect([...machines].sort()).toEqual(['connection', 'drain', 'lease', 'neuron']);
  const leaseStates = seen
    .filter(
      (e) => e.type === '@xstate.snapshot' && (e.actorRef.logic as { id?: string }).id === 'lease',
    )
    .map((e) => JSON.stringify((e as { snapshot: { value: unknown } }).snapshot.value));
  expect(leaseStates).toEqual(
    expect.arrayContaining([
      '"queued"',
      '{"executing":"running"}',
      '{"acking":"posting"}',
      '"settled"',
    ]),
  );
});
