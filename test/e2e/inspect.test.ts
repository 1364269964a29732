import { afterEach, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createHarness, disposeHarnesses } from './harness.js';

afterEach(disposeHarnesses);

/** The id of the machine an inspected actor runs. */
function machineOf(event: InspectionEvent): string | undefined {
  return (event.actorRef as { logic?: { id?: string } }).logic?.id;
}

it('shows the neuron, connection, lease and drain actors to an inspection observer', async () => {
  const seen: InspectionEvent[] = [];
  const h = await createHarness({ neuron: { inspect: (event) => void seen.push(event) } });
  h.neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, () => 'ok');
  await h.start();
  const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: null });
  await h.gw.waitForTask(task.taskId);
  await h.stop();
  const machines = new Set(seen.filter((e) => e.type === '@xstate.actor').map(machineOf));
  machines.delete(undefined);
  expect([...machines].sort()).toEqual(['connection', 'drain', 'lease', 'neuron']);
  const leaseStates = seen.flatMap((e) =>
    e.type === '@xstate.snapshot' && machineOf(e) === 'lease'
      ? [JSON.stringify((e.snapshot as { value?: unknown }).value)]
      : [],
  );
  expect(leaseStates).toEqual(
    expect.arrayContaining([
      '"queued"',
      '{"executing":"running"}',
      '{"acking":"posting"}',
      '"settled"',
    ]),
  );
});
