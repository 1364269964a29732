import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { drainMachine } from '../../machines/drain.js';

function harness(input: { drain: boolean; timeoutMs: number }) {
  const log: string[] = [];
  const machine = drainMachine.provide({
    actors: {
      closeTransport: fromPromise<void>(async () => {
        log.push('closeTransport');
      }),
    },
    actions: {
      refuseLeases: () => log.push('refuse-leases'),
      abortRunning: () => log.push('abort-running'),
      close: () => log.push('close'),
    },
  });
  const actor = createActor(machine, { input: { ...input, abortGraceMs: 200 } });
  return { actor, log, state: () => actor.getSnapshot().value };
}

describe('drain machine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('refuses new leases, waits for running handlers, then closes without aborting anything', async () => {
    const h = harness({ drain: true, timeoutMs: 1_000 });
    h.actor.start();
    expect(h.state()).toBe('waiting-for-handlers');
    h.actor.send({ type: 'leases.idle' });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log).toEqual(['refuse-leases', 'close', 'closeTransport']);
    expect(h.actor.getSnapshot().status).toBe('done');
  });

  it('aborts what still runs once timeoutMs has passed', async () => {
    const h = harness({ drain: true, timeoutMs: 1_000 });
    h.actor.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(h.log).toEqual(['refuse-leases']);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.state()).toBe('aborting');
    h.actor.send({ type: 'leases.idle' });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log).toEqual(['refuse-leases', 'abort-running', 'close', 'closeTransport']);
  });

  it('with drain: false, aborts at once', () => {
    const h = harness({ drain: false, timeoutMs: 1_000 });
    h.actor.start();
    expect(h.log).toEqual(['refuse-leases', 'abort-running']);
  });

  it('closes after the abort grace even when nacks are still undelivered', async () => {
    const h = harness({ drain: false, timeoutMs: 1_000 });
    h.actor.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(h.actor.getSnapshot().status).toBe('done');
  });
});
