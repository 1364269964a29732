import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthCallbackError, NetworkError, RequestTimeoutError } from '../../src/errors.js';
import type { AckFrame } from '../../src/protocol/frames.js';
import { Cancellation, Deadlines } from '../../src/transport/deadlines.js';
import { HttpTransport } from '../../src/transport/http-transport.js';
import { record } from './recorder.js';
import { useTestServer } from './test-server.js';

const ack: AckFrame = {
  type: 'ack',
  neuronId: 'n',
  leaseId: 'l-1',
  taskId: 't-1',
  output: null,
  durationMs: 1,
};

describe('Deadlines', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('serves every request in flight with one timer, which keeps no process alive', () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const deadlines = new Deadlines();
    const requests = Array.from({ length: 100 }, () => new Cancellation());
    for (const request of requests) deadlines.arm(request, 10_000);
    expect(setTimer).toHaveBeenCalledTimes(1);
    const [armed] = setTimer.mock.results;
    expect((armed?.value as NodeJS.Timeout | undefined)?.hasRef()).toBe(false);
    deadlines.cancelAll(new Error('closed'));
  });

  it('times each request out at its own deadline, and none that was released', async () => {
    const deadlines = new Deadlines();
    const [soon, later, done] = [new Cancellation(), new Cancellation(), new Cancellation()];
    deadlines.arm(later, 120);
    deadlines.arm(soon, 30);
    deadlines.arm(done, 30);
    deadlines.release(done);
    await sleep(70);
    expect([soon.timedOut, later.timedOut, done.timedOut]).toEqual([true, false, false]);
    await sleep(100);
    expect([soon.timedOut, later.timedOut, done.timedOut]).toEqual([true, true, false]);
    expect(later.aborted).toBe(true);
  });

  it('tells the listeners once, and not one that was removed', () => {
    const request = new Cancellation();
    const heard: string[] = [];
    const removed = (): void => {
      heard.push('removed');
    };
    request.once('abort', () => heard.push('kept'));
    request.once('abort', removed);
    request.removeListener('abort', removed);
    request.cancel(new Error('closed'));
    request.cancel(new Error('again'));
    expect(heard).toEqual(['kept']);
    expect(request.reason?.message).toBe('closed');
  });

  it('cancels what is in flight on cancelAll and leaves no timer armed', () => {
    const clearTimer = vi.spyOn(globalThis, 'clearTimeout');
    const deadlines = new Deadlines();
    const request = new Cancellation();
    deadlines.arm(request, 10_000);
    deadlines.cancelAll(new Error('the transport was closed'));
    expect(request).toMatchObject({ aborted: true, timedOut: false });
    expect(clearTimer).toHaveBeenCalled();
  });
});

describe('HttpTransport deadlines', () => {
  const server = useTestServer();

  it('times out concurrent POSTs each after its own requestTimeoutMs', async () => {
    server.handle(() => {});
    const transport = new HttpTransport({
      gatewayUrl: server.url,
      neuronId: 'n',
      auth: () => 't',
      requestTimeoutMs: 60,
    });
    const first = transport.post('ack', ack).catch((err: unknown) => err);
    await sleep(30);
    const started = performance.now();
    const second = transport.post('ack', ack).catch((err: unknown) => err);
    expect(await first).toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeLessThan(55);
    expect(await second).toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await transport.close();
  });

  it('abandons POSTs in flight on close(): the request and a pending auth call alike', async () => {
    server.handle(() => {});
    let authCalls = 0;
    const transport = new HttpTransport({
      gatewayUrl: server.url,
      neuronId: 'n',
      // The first call answers at once, the second never does.
      auth: () => (++authCalls === 1 ? 't' : new Promise<string>(() => {})),
    });
    const recorder = record(transport);
    const sent = transport.post('ack', ack).catch((err: unknown) => err);
    await expect.poll(() => server.requests.length).toBe(1);
    const authorizing = transport.post('ack', ack).catch((err: unknown) => err);
    await expect.poll(() => authCalls).toBe(2);
    await transport.close();
    expect(await sent).toBeInstanceOf(NetworkError);
    expect((await sent) as Error).toMatchObject({
      message: 'network error on ack: the transport was closed',
    });
    expect(await authorizing).toBeInstanceOf(AuthCallbackError);
    // Abandoning the call is not the callback's fault: no error event.
    expect(recorder.of('error')).toEqual([]);
  });
});
