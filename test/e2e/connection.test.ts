/**
 * PROTOCOL.md's connection sequence, backoff and authentication rules, observed on the wire:
 * the real neuron against the reference gateway over loopback.
 */
import { type NeuronLogger, PROTOCOL_VERSION } from '@holokai/neuron-sdk';
import type { RequestRecord } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHarness,
  disposeHarnesses,
  eventsNamed,
  type Harness,
  leaseFrame,
  rotatingAuth,
  TOKEN,
} from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 4 } as const;

/** A promise and the function that settles it, for handlers a test lets go of. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Milliseconds between consecutive requests. */
function gaps(requests: RequestRecord[]): number[] {
  return requests.slice(1).map((r, i) => r.at - requests[i]!.at);
}

function reconnects(h: Harness) {
  return eventsNamed(h.events, 'connection:reconnecting').map(([info]) => info);
}

describe('connection sequence', () => {
  it('opens the stream with the bearer token, Accept and User-Agent, then registers every capability', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, (input) => input);
    h.neuron.handle(
      {
        type: 'acme/shout',
        scope: { onBehalfOf: 'user:abc' },
        concurrency: 2,
        description: 'upper-cases text',
        inputSchema: { type: 'string' },
        leaseTtlMs: 60_000,
      },
      (input) => String(input).toUpperCase(),
    );
    await h.start();
    const [open, register] = h.gw.requests;
    expect(open).toMatchObject({
      method: 'GET',
      path: 'events',
      url: '/neuron/events?neuronId=neuron-1',
      status: 200,
      headers: expect.objectContaining({
        authorization: `Bearer ${TOKEN}`,
        accept: 'text/event-stream',
        'user-agent': expect.stringMatching(/^holokai-neuron-sdk-ts\/\d+\.\d+\.\d+/),
      }),
    });
    expect(open!.headers['last-event-id']).toBeUndefined();
    expect(register).toMatchObject({
      method: 'POST',
      path: 'register',
      status: 202,
      headers: expect.objectContaining({
        authorization: `Bearer ${TOKEN}`,
        accept: 'application/json',
        'content-type': 'application/json',
        'user-agent': open!.headers['user-agent'],
      }),
    });
    expect(register!.body).toEqual({
      type: 'register',
      neuronId: 'neuron-1',
      protocolVersion: '1.1.0',
      sdk: { name: '@holokai/neuron-sdk', version: expect.any(String), language: 'typescript' },
      capabilities: [
        { type: 'acme/echo', scope: 'any', concurrency: 4 },
        {
          type: 'acme/shout',
          scope: { onBehalfOf: 'user:abc' },
          concurrency: 2,
          description: 'upper-cases text',
          inputSchema: { type: 'string' },
          leaseTtlMs: 60_000,
        },
      ],
    });
    expect(PROTOCOL_VERSION).toBe('1.1.0');
    const sessionId = h.gw.neurons()[0]!.sessionId;
    await expect.poll(() => eventsNamed(h.events, 'connection:registered')).toHaveLength(1);
    const connection = h.events.filter(([name]) => name.startsWith('connection:'));
    expect(connection).toEqual([
      ['connection:open'],
      [
        'connection:registered',
        expect.objectContaining({
          sessionId,
          capabilities: 2,
          effective: [
            { type: 'acme/echo', scope: 'any', concurrency: 4 },
            { type: 'acme/shout', scope: { onBehalfOf: 'user:abc' }, concurrency: 2 },
          ],
          rejected: [],
        }),
      ],
    ]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('starts heartbeats once registered, listing running leases and never queued ones', async () => {
    const h = await createHarness();
    const release = gate();
    const releaseQueued = gate();
    h.neuron.handle({ ...echo, concurrency: 1 }, async (input) => {
      await (input === 'a' ? release.promise : releaseQueued.promise);
      return input;
    });
    await h.start();
    const registeredAt = h.gw.requestsTo('register')[0]!.at;
    const sessionId = h.gw.neurons()[0]!.sessionId;
    const a = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'a' });
    await expect.poll(() => eventsNamed(h.events, 'lease:received')).toHaveLength(1);
    const leaseA = h.gw.task(a.taskId)!.leaseId!;
    // The gateway keeps to the advertised concurrency; a second lease must come by hand.
    const leaseB = 'l-queued';
    h.gw.sendFrame('neuron-1', leaseFrame(leaseB));
    await expect.poll(() => eventsNamed(h.events, 'lease:received')).toHaveLength(2);
    // A heartbeat sent after both leases arrived: b waits for a's slot.
    const beat = await h.gw.waitFor('request', (r) => r.path === 'heartbeat');
    expect(beat.body).toEqual({
      type: 'heartbeat',
      neuronId: 'neuron-1',
      sessionId,
      inFlight: [{ leaseId: leaseA, taskId: a.taskId, startedAt: expect.any(String) }],
      sentAt: expect.any(String),
    });
    const beats = h.gw.requestsTo('heartbeat');
    expect(beats[0]!.at).toBeGreaterThanOrEqual(registeredAt);
    for (const r of beats) {
      expect((r.body as { inFlight: { leaseId: string }[] }).inFlight).not.toContainEqual(
        expect.objectContaining({ leaseId: leaseB }),
      );
    }
    release.open();
    await h.gw.waitForTask(a.taskId);
    // Now b runs, and the next heartbeat lists it.
    await expect
      .poll(() => h.gw.requestsTo('heartbeat').at(-1)?.body, { timeout: 2_000 })
      .toMatchObject({ inFlight: [expect.objectContaining({ leaseId: leaseB })] });
    releaseQueued.open();
    await h.stop();
  });

  it('sends no heartbeat before the registered frame arrives', async () => {
    const h = await createHarness({
      gateway: { registerPolicy: () => ({ code: 'NAMESPACE_FORBIDDEN' }) },
    });
    h.neuron.handle(echo, (input) => input);
    await h.neuron.start();
    await expect.poll(() => h.errors.length).toBe(1);
    // Two heartbeat intervals (200 ms each) without a `registered` frame.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(h.gw.requestsTo('heartbeat')).toEqual([]);
    expect(eventsNamed(h.events, 'connection:registered')).toEqual([]);
    await h.stop();
  });
});

describe('authentication', () => {
  it('calls auth again when the SSE open is answered 401, and the second open succeeds at once', async () => {
    const h = await createHarness(rotatingAuth());
    h.neuron.handle(echo, (input) => input);
    h.gw.failNext('events', { status: 401 });
    await h.start();
    const opens = h.gw.requestsTo('events');
    expect(opens.map((r) => r.status)).toEqual([401, 200]);
    expect(opens.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(gaps(opens)[0]).toBeLessThan(100);
    expect(reconnects(h)).toEqual([]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('calls auth again when a POST is answered 401, and retries it once at once', async () => {
    const h = await createHarness(rotatingAuth());
    h.neuron.handle(echo, (input) => input);
    h.gw.failNext('register', { status: 401 });
    await h.start();
    const registers = h.gw.requestsTo('register');
    expect(registers.map((r) => r.status)).toEqual([401, 202]);
    expect(registers.map((r) => r.headers.authorization)).toEqual(['Bearer tok-2', 'Bearer tok-3']);
    expect(gaps(registers)[0]).toBeLessThan(100);
    expect(h.gw.requestsTo('events')).toHaveLength(1);
    expect(reconnects(h)).toEqual([]);
    await h.stop();
  });

  it('backs off after a second 401 on the SSE open, and calls auth afresh on the next attempt', async () => {
    const h = await createHarness(rotatingAuth());
    h.neuron.handle(echo, (input) => input);
    h.gw.failNext('events', { status: 401, times: 2 });
    await h.start();
    const opens = h.gw.requestsTo('events');
    expect(opens.map((r) => r.status)).toEqual([401, 401, 200]);
    expect(new Set(opens.map((r) => r.headers.authorization)).size).toBe(3);
    expect(reconnects(h)).toEqual([expect.objectContaining({ attempt: 1 })]);
    expect(reconnects(h)[0]!.reason).toMatch(/401/);
    await h.stop();
  });

  it('reports a 403 on the SSE open as an error and backs off with the maximum delay', async () => {
    const h = await createHarness({ neuron: { maxReconnectDelayMs: 300 } });
    h.neuron.handle(echo, (input) => input);
    h.gw.failNext('events', { status: 403, code: 'FORBIDDEN', message: 'neuron-1 is banned' });
    await h.start();
    expect(h.errors).toEqual([
      expect.objectContaining({
        status: 403,
        path: 'events',
        message: expect.stringMatching(/403.*neuron-1 is banned/),
      }),
    ]);
    expect(reconnects(h)).toEqual([expect.objectContaining({ attempt: 1, delayMs: 300 })]);
    const opens = h.gw.requestsTo('events');
    expect(opens.map((r) => r.status)).toEqual([403, 200]);
    expect(gaps(opens)[0]).toBeGreaterThanOrEqual(290);
    await h.stop();
  });

  it('reports an auth callback that throws or returns an empty string, backs off, and recovers when it does', async () => {
    let mode: 'throw' | 'empty' | 'ok' = 'throw';
    const h = await createHarness({
      auth: () => {
        if (mode === 'throw') throw new Error('vault unreachable');
        return mode === 'empty' ? '' : TOKEN;
      },
    });
    h.neuron.handle(echo, (input) => input);
    await h.neuron.start();
    await expect.poll(() => h.errors.length).toBeGreaterThanOrEqual(1);
    expect(h.errors[0]).toMatchObject({
      name: 'AuthCallbackError',
      code: 'NEURON_ERR_AUTH_CALLBACK',
      message: 'the auth callback threw (see cause)',
      cause: expect.objectContaining({ message: 'vault unreachable' }),
    });
    mode = 'empty';
    await expect
      .poll(() => h.errors.map((e) => e.message))
      .toContain('the auth callback must return a non-empty string, got an empty string');
    expect(reconnects(h).length).toBeGreaterThanOrEqual(2);
    // Nothing reached the gateway without a token.
    expect(h.gw.requests).toEqual([]);
    const registered = h.gw.waitFor('registered');
    mode = 'ok';
    await registered;
    expect(h.gw.requestsTo('events').map((r) => r.status)).toEqual([200]);
    await expect.poll(() => eventsNamed(h.events, 'connection:registered')).toHaveLength(1);
    await h.stop();
  });

  it('never lets the bearer token into an error, a reconnect reason or a log line', async () => {
    const secret = 'sk-live-9f8e7d6c5b4a';
    const lines: string[] = [];
    const record = (meta: Record<string, unknown>, msg?: string) =>
      lines.push(
        `${msg ?? ''} ${JSON.stringify(meta, (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : v))}`,
      );
    const logger: NeuronLogger = { debug: record, info: record, warn: record, error: record };
    let token = secret;
    const h = await createHarness({
      auth: () => token,
      gateway: { acceptToken: (t) => t === TOKEN },
      neuron: { logger },
    });
    h.neuron.handle(echo, (input) => input);
    // Rejected twice on open (401), then a token that cannot be a header, then a good one.
    await h.neuron.start();
    await expect.poll(() => reconnects(h).length).toBeGreaterThanOrEqual(2);
    token = `${secret} with spaces`;
    await expect
      .poll(() => h.errors.map((e) => e.message).join('\n'))
      .toMatch(/cannot be sent in a header/);
    h.gw.failNext('register', { status: 403 });
    token = TOKEN;
    await expect.poll(() => h.errors.map((e) => e.message).join('\n')).toMatch(/registration/);
    expect(
      h.gw.requestsTo('events').some((r) => r.headers.authorization === `Bearer ${secret}`),
    ).toBe(true);
    const said = [
      ...h.errors.flatMap((e) => [
        e.message,
        String(e.stack),
        String((e as { cause?: unknown }).cause),
      ]),
      ...reconnects(h).map((r) => r.reason),
      ...eventsNamed(h.events, 'connection:close').map(([reason]) => reason),
      ...lines,
    ].join('\n');
    // The log is part of what is searched: it must have said something for that to mean anything.
    expect(lines.length).toBeGreaterThan(0);
    expect(said).not.toContain(secret);
    expect(said).not.toContain(TOKEN);
    await h.stop();
  });
});

describe('reconnecting', () => {
  it('reconnects after a dropped stream with Last-Event-ID set to the last lease or cancel id', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    await h.gw.waitForTask(task.taskId);
    // A cancel for a lease the neuron does not hold: ignored, but its id counts.
    const cancelId = h.gw.sendFrame('neuron-1', { type: 'cancel', leaseId: 'l-unknown' });
    await expect
      .poll(() => eventsNamed(h.events, 'frame').map(([f]) => f.type))
      .toContain('cancel');
    const reopened = h.gw.waitFor('stream:open');
    const reregistered = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    expect(await reopened).toMatchObject({ lastEventId: cancelId, resumed: true });
    await reregistered;
    const opens = h.gw.requestsTo('events');
    expect(opens).toHaveLength(2);
    expect(opens[1]!.headers['last-event-id']).toBe(cancelId);
    expect(cancelId).toBe('2');
    expect(reconnects(h)).toEqual([expect.objectContaining({ attempt: 1 })]);
    expect(eventsNamed(h.events, 'connection:close')).toHaveLength(1);
    expect(h.gw.requestsTo('register').map((r) => r.status)).toEqual([202, 202]);
    await h.stop();
  });

  it('ignores a replayed lease it still holds: the handler runs once and one ack is posted', async () => {
    const h = await createHarness();
    const release = gate();
    let calls = 0;
    h.neuron.handle(echo, async (input) => {
      calls++;
      await release.promise;
      return input;
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    await expect.poll(() => calls).toBe(1);
    // An event whose id precedes the lease's, so the re-open asks for the lease again.
    h.gw.sendRaw('neuron-1', 'id: 0\ndata: {"type":"x-marker"}\n\n');
    await expect.poll(() => eventsNamed(h.events, 'frame').at(-1)?.[0].type).toBe('x-marker');
    const reopened = h.gw.waitFor('stream:open');
    h.gw.dropStream('neuron-1');
    expect(await reopened).toMatchObject({ lastEventId: '0', resumed: true, replayed: 1 });
    await expect
      .poll(() => eventsNamed(h.events, 'lease:received').map(([i]) => i.duplicate))
      .toEqual([false, true]);
    release.open();
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('acked');
    expect(calls).toBe(1);
    await expect.poll(() => eventsNamed(h.events, 'lease:settled')).toHaveLength(1);
    await h.stop();
    expect(h.gw.requestsTo('ack')).toHaveLength(1);
  });

  it('ignores a lease frame repeating a lease it holds or has settled', async () => {
    const h = await createHarness();
    const release = gate();
    let calls = 0;
    h.neuron.handle(echo, async () => {
      calls++;
      await release.promise;
      return 'ok';
    });
    await h.start();
    const frame = leaseFrame('l-again');
    h.gw.sendFrame('neuron-1', frame);
    await expect.poll(() => calls).toBe(1);
    h.gw.sendFrame('neuron-1', frame);
    await expect.poll(() => eventsNamed(h.events, 'lease:received')).toHaveLength(2);
    release.open();
    // The gateway never issued l-again, so it answers 410; the neuron drops the outcome.
    await expect.poll(() => eventsNamed(h.events, 'lease:settled')).toHaveLength(1);
    h.gw.sendFrame('neuron-1', frame);
    await expect.poll(() => eventsNamed(h.events, 'lease:received')).toHaveLength(3);
    expect(eventsNamed(h.events, 'lease:received').map(([i]) => i.duplicate)).toEqual([
      false,
      true,
      true,
    ]);
    await h.stop();
    expect(calls).toBe(1);
    expect(h.gw.requestsTo('ack')).toHaveLength(1);
    expect(h.gw.requestsTo('nack')).toHaveLength(0);
  });

  it('posts the outcome of a handler that ran across a reconnect, after the reconnect', async () => {
    const h = await createHarness();
    const release = gate();
    h.neuron.handle(echo, async (input) => {
      await release.promise;
      return { echoed: input };
    });
    await h.start();
    const task = h.gw.submitTask({ capabilityType: 'acme/echo', input: 'across' });
    await expect.poll(() => eventsNamed(h.events, 'lease:received')).toHaveLength(1);
    const reregistered = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    await reregistered;
    release.open();
    const done = await h.gw.waitForTask(task.taskId);
    expect(done.state).toBe('acked');
    expect(done.outcome).toMatchObject({ type: 'ack', output: { echoed: 'across' } });
    expect(done.attempts).toBe(1);
    const [ack] = h.gw.requestsTo('ack');
    expect(ack!.at).toBeGreaterThanOrEqual(h.gw.requestsTo('events')[1]!.at);
    await h.stop();
  });

  it('closes a stalled stream after idleTimeoutMs of silence and reconnects', async () => {
    const h = await createHarness({
      gateway: { pingIntervalMs: 50 },
      neuron: { idleTimeoutMs: 300 },
    });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    // Pinged every 50 ms, a live stream outlives several idle timeouts.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(h.gw.requestsTo('events')).toHaveLength(1);
    expect(reconnects(h)).toEqual([]);
    const reopened = h.gw.waitFor('stream:open');
    const stalledAt = Date.now();
    h.gw.stallStream('neuron-1');
    await reopened;
    // The timer counts from the last bytes seen, a ping (50 ms) and a throttle step before.
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(150);
    expect(eventsNamed(h.events, 'connection:close')).toEqual([
      [expect.stringMatching(/no bytes on the stream for 300 ms/)],
    ]);
    expect(reconnects(h)).toHaveLength(1);
    await h.stop();
  });

  it('waits the reconnectAfterMs a disconnect frame asks for before reopening', async () => {
    const h = await createHarness({ neuron: { maxReconnectDelayMs: 2_000 } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const reopened = h.gw.waitFor('stream:open');
    h.gw.disconnect('neuron-1', { reason: 'gateway restarting', reconnectAfterMs: 300 });
    await reopened;
    expect(reconnects(h)).toEqual([
      expect.objectContaining({
        delayMs: 300,
        reason: expect.stringMatching(/gateway restarting/),
      }),
    ]);
    const opens = h.gw.requestsTo('events');
    expect(gaps(opens)[0]).toBeGreaterThanOrEqual(290);
    expect(gaps(opens)[0]).toBeLessThan(1_000);
    await h.stop();
  });

  it('uses an SSE retry: hint as the next reconnect delay', async () => {
    const h = await createHarness({ neuron: { maxReconnectDelayMs: 1_000 } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    h.gw.sendRaw('neuron-1', 'retry: 150\n\n');
    // A frame behind the hint: once it is seen, so is the hint.
    h.gw.sendFrame('neuron-1', { type: 'x-marker' });
    await expect.poll(() => eventsNamed(h.events, 'frame').at(-1)?.[0].type).toBe('x-marker');
    const reopened = h.gw.waitFor('stream:open');
    const droppedAt = Date.now();
    h.gw.dropStream('neuron-1');
    await reopened;
    expect(reconnects(h)).toEqual([expect.objectContaining({ attempt: 1, delayMs: 150 })]);
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(140);
    await h.stop();
  });

  it('doubles the backoff with jitter while opens fail, and resets it once registered', async () => {
    const h = await createHarness({
      neuron: { initialReconnectDelayMs: 40, maxReconnectDelayMs: 1_000 },
    });
    h.neuron.handle(echo, (input) => input);
    h.gw.failNext('events', { status: 503, times: 4 });
    await h.start();
    const opens = h.gw.requestsTo('events');
    expect(opens.map((r) => r.status)).toEqual([503, 503, 503, 503, 200]);
    const planned = reconnects(h);
    expect(planned.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    planned.forEach(({ delayMs }, i) => {
      const ceiling = 40 * 2 ** i;
      expect(delayMs).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delayMs).toBeLessThanOrEqual(ceiling);
    });
    gaps(opens).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(planned[i]!.delayMs - 5);
    });
    // Registered: the next failure starts from the initial delay again.
    await expect.poll(() => eventsNamed(h.events, 'connection:registered')).toHaveLength(1);
    const reopened = h.gw.waitFor('registered');
    h.gw.dropStream('neuron-1');
    await reopened;
    expect(reconnects(h)[4]).toMatchObject({ attempt: 1 });
    expect(reconnects(h)[4]!.delayMs).toBeLessThanOrEqual(40);
    await h.stop();
  });
});
