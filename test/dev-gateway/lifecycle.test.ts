import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createDevGateway, WaitError } from '../../src/dev-gateway/index.js';
import { connect, post } from './sse-client.js';

/** The kinds of resource that keep a process alive and that a gateway could leak. */
const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP']);

/**
 * Tracks the timers, sockets and servers created from now on (by the gateway and by the
 * test's own client), so vitest's own resources do not blur the count.
 */
function trackResources() {
  const alive = new Map<number, string>();
  const hook = createHook({
    init: (id, type) => {
      if (TRACKED.has(type)) alive.set(id, type);
    },
    destroy: (id) => alive.delete(id),
  }).enable();
  return {
    alive: () => [...alive.values()],
    /** The kinds among `ids` still alive. */
    stillAlive: (ids: number[]) => ids.filter((id) => alive.has(id)).map((id) => alive.get(id)),
    ids: () => [...alive.keys()],
    stop: () => hook.disable(),
  };
}

describe('close()', () => {
  it('leaves no server, socket or timer behind, even with streams and leases open', async () => {
    const resources = trackResources();
    const gw = await createDevGateway({ pingIntervalMs: 5, reaperIntervalMs: 5 });
    const { stream } = await connect(gw.url, 'n1');
    gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await stream.next('lease');
    expect(resources.alive()).toEqual(expect.arrayContaining(['TCPSERVERWRAP', 'Timeout']));
    const closed = gw.waitFor('stream:close');
    await gw.close();
    expect(await closed).toEqual({ neuronId: 'n1', reason: 'gateway-closed' });
    // What existed at close must go; the poll's own timers come later and do not count.
    const atClose = resources.ids();
    await expect.poll(() => resources.stillAlive(atClose)).toEqual([]);
    resources.stop();
  });

  it('returns the same promise when called twice, and refuses connections afterwards', async () => {
    const gw = await createDevGateway();
    const first = gw.close();
    expect(gw.close()).toBe(first);
    await first;
    await expect(post(gw.url, 'register', {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects the waits still pending', async () => {
    const gw = await createDevGateway();
    const waiting = gw.waitFor('lease', undefined, { timeoutMs: 60_000 });
    await gw.close();
    await expect(waiting).rejects.toMatchObject({ name: 'WaitError', reason: 'closed' });
  });
});

describe('waiting helpers', () => {
  it('reject with a WaitError naming the event when nothing matches in time', async () => {
    const gw = await createDevGateway();
    const error = await gw.waitFor('registered', undefined, { timeoutMs: 20 }).catch((e) => e);
    expect(error).toBeInstanceOf(WaitError);
    expect(error.message).toBe("dev gateway: no matching 'registered' event within 20 ms");
    await gw.close();
  });

  it('name the task state when a task does not settle in time', async () => {
    const gw = await createDevGateway();
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await expect(gw.waitForTask(task.taskId, undefined, { timeoutMs: 20 })).rejects.toThrow(
      `task ${task.taskId} did not reach acked|failed|cancelled within 20 ms (state: pending, attempts: 0)`,
    );
    await gw.close();
  });

  it('resolve at once for a task already in the awaited state', async () => {
    const gw = await createDevGateway();
    const task = gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    expect((await gw.waitForTask(task.taskId, ['pending'])).state).toBe('pending');
    expect(() => gw.submitTask({ capabilityType: 'echo', input: 1 })).toThrow(/owner\/package/);
    await gw.close();
  });
});

describe('options', () => {
  it('refuses nonsense with a ConfigError that says what is wrong', async () => {
    await expect(createDevGateway({ pingIntervalMs: 0 })).rejects.toMatchObject({
      code: 'NEURON_ERR_INVALID_OPTIONS',
      message: 'dev gateway: pingIntervalMs must be an integer >= 1, got 0',
    });
    await expect(createDevGateway({ port: 70_000 })).rejects.toThrow(/port/);
  });
});
