import { createTestContext } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { echoCapability, echoHandler } from '../../examples/echo/capability.js';
import { createHarness, disposeHarnesses } from '../e2e/harness.js';

afterEach(disposeHarnesses);

describe('examples/echo', () => {
  it('returns its input as { echoed } in a unit test with no gateway', async () => {
    const t = createTestContext({ input: { text: 'hi' } });
    expect(await echoHandler({ text: 'hi' }, t.ctx)).toEqual({ echoed: { text: 'hi' } });
    expect(t.logs).toMatchObject([{ level: 'info', msg: 'echoing' }]);
  });

  it('acks any JSON input echoed back, through the reference gateway', async () => {
    const h = await createHarness();
    h.neuron.handle(echoCapability, echoHandler);
    await h.start();
    const inputs = [{ text: 'hello' }, 'a string', 42, null, [1, { deep: true }]];
    const tasks = inputs.map((input) =>
      h.gw.submitTask({ capabilityType: 'examples/echo', input }),
    );
    const done = await Promise.all(tasks.map((t) => h.gw.waitForTask(t.taskId)));
    expect(done.map((t) => t.outcome)).toEqual(
      inputs.map((input) => ({
        type: 'ack',
        output: { echoed: input },
        durationMs: expect.any(Number),
      })),
    );
    await h.stop();
  });

  it('advertises its JSON Schemas on the register frame', async () => {
    const h = await createHarness();
    h.neuron.handle(echoCapability, echoHandler);
    await h.start();
    expect(h.gw.requestsTo('register')[0]?.body).toMatchObject({
      capabilities: [
        {
          type: 'examples/echo',
          scope: 'any',
          concurrency: 4,
          inputSchema: {},
          outputSchema: { required: ['echoed'] },
        },
      ],
    });
    await h.stop();
  });
});
