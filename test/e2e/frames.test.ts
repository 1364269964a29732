import { FrameError, type FrameErrorReason, type InboundFrame } from '@holokai/neuron-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, disposeHarnesses, eventsNamed, type Harness } from './harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 2 } as const;

/** Writes one SSE event whose data is `data`, verbatim. */
function sendData(h: Harness, data: string): void {
  h.gw.sendRaw('neuron-1', `data: ${data}\n\n`);
}

/** A real task through the gateway: proves the stream is still read and leases still run. */
async function expectEchoStillServed(h: Harness, input: unknown = { ok: 1 }): Promise<void> {
  const task = h.gw.submitTask({ capabilityType: 'acme/echo', input });
  const done = await h.gw.waitForTask(task.taskId);
  expect(done.outcome).toMatchObject({ type: 'ack', output: input });
}

/** The stream was never closed nor reopened. */
function expectStreamNeverReopened(h: Harness): void {
  expect(h.gw.requestsTo('events')).toHaveLength(1);
  expect(eventsNamed(h.events, 'connection:close')).toEqual([]);
  expect(eventsNamed(h.events, 'connection:reconnecting')).toEqual([]);
}

async function errorsAfter(h: Harness, count: number): Promise<FrameError[]> {
  await expect.poll(() => h.errors.length).toBe(count);
  for (const err of h.errors) expect(err).toBeInstanceOf(FrameError);
  return h.errors as FrameError[];
}

describe('malformed frames (PROTOCOL.md "The SSE stream")', () => {
  it('reports data that is not JSON, not an object or has no string type as a FrameError and keeps the stream open', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const cases: Array<[string, FrameErrorReason]> = [
      ['{"type": "lease", oops', 'not-json'],
      ['hello', 'not-json'],
      ['[1, 2, 3]', 'not-object'],
      ['42', 'not-object'],
      ['null', 'not-object'],
      ['"lease"', 'not-object'],
      ['{}', 'no-type'],
      ['{"type": 5, "leaseId": "l-1"}', 'no-type'],
      ['{"type": null}', 'no-type'],
    ];
    for (const [data] of cases) sendData(h, data);
    const errors = await errorsAfter(h, cases.length);
    expect(errors.map((e) => e.reason)).toEqual(cases.map(([, reason]) => reason));
    expect(errors.every((e) => e.code === 'NEURON_ERR_FRAME')).toBe(true);
    // None of them reached `frame` listeners: only `registered` did.
    expect(eventsNamed(h.events, 'frame').map(([f]) => f.type)).toEqual(['registered']);
    await expectEchoStillServed(h);
    expectStreamNeverReopened(h);
    await h.stop();
  });

  it('reports a known frame that lacks a required field, naming the type and the field, and skips it', async () => {
    const h = await createHarness();
    let calls = 0;
    h.neuron.handle(echo, (input) => {
      calls++;
      return input;
    });
    await h.start();
    const expiresAt = new Date(Date.now() + 30_000).toISOString();
    const task = { taskId: 't-x', input: 1 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'registered', capabilities: [] }, 'sessionId'],
      [{ type: 'registered', sessionId: 's-x' }, 'capabilities'],
      [{ type: 'lease', capabilityType: 'acme/echo', task, expiresAt }, 'leaseId'],
      [{ type: 'lease', leaseId: 'l-a', task, expiresAt }, 'capabilityType'],
      [{ type: 'lease', leaseId: 'l-b', capabilityType: 'acme/echo', expiresAt }, 'task'],
      [
        { type: 'lease', leaseId: 'l-c', capabilityType: 'acme/echo', task: { input: 1 } },
        'task.taskId',
      ],
      [
        { type: 'lease', leaseId: 'l-d', capabilityType: 'acme/echo', task: { taskId: 't-d' } },
        'task.input',
      ],
      [{ type: 'cancel', reason: 'x' }, 'leaseId'],
      [{ type: 'capability-revoked', reason: 'x' }, 'capabilityType'],
    ];
    for (const [frame] of cases) sendData(h, JSON.stringify(frame));
    const errors = await errorsAfter(h, cases.length);
    cases.forEach(([frame, field], i) => {
      const err = errors[i];
      expect(err?.reason).toBe('missing-field');
      expect(err?.frameType).toBe(frame.type);
      expect(err?.message).toBe(`${frame.type} frame lacks required field "${field}"; skipped`);
    });
    // Skipped means skipped: no lease was received, no handler ran, nothing was posted for them,
    // and the bad `registered` frames did not replace the session.
    expect(eventsNamed(h.events, 'lease:received')).toEqual([]);
    expect(calls).toBe(0);
    expect([...h.gw.requestsTo('ack'), ...h.gw.requestsTo('nack')]).toEqual([]);
    expect(h.neuron.snapshot().connection.sessionId).toBe(h.gw.neurons()[0]?.sessionId);
    expect(h.neuron.snapshot().capabilities[0]?.served).toBe(true);
    await expectEchoStillServed(h);
    expectStreamNeverReopened(h);
    await h.stop();
  });

  it('accepts a lease whose input is null: the input key is present', async () => {
    const h = await createHarness();
    const inputs: unknown[] = [];
    h.neuron.handle(echo, (input) => {
      inputs.push(input);
      return 'seen';
    });
    await h.start();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: null }).taskId,
    );
    expect(done.outcome).toMatchObject({ type: 'ack', output: 'seen' });
    expect(inputs).toEqual([null]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });

  it('passes a frame of an unknown type to frame listeners and otherwise ignores it', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const future = { type: 'workflow:task-completed', workflowId: 'w-1', extra: [1, 2] };
    h.gw.sendFrame('neuron-1', future as unknown as InboundFrame);
    // The JSON `type` decides, not the SSE `event:` field.
    h.gw.sendRaw('neuron-1', 'event: lease\ndata: {"type":"x-mislabelled"}\n\n');
    await expect
      .poll(() => eventsNamed(h.events, 'frame').map(([f]) => f))
      .toEqual([
        expect.objectContaining({ type: 'registered' }),
        future,
        { type: 'x-mislabelled' },
      ]);
    expect(eventsNamed(h.events, 'lease:received')).toEqual([]);
    expect(h.errors).toEqual([]);
    await expectEchoStillServed(h);
    expectStreamNeverReopened(h);
    // Nothing was posted because of it: only register, heartbeats and the task's ack.
    for (const request of h.gw.requests) {
      expect(['events', 'register', 'heartbeat', 'ack']).toContain(request.path);
    }
    await h.stop();
  });

  it('reports a frame larger than maxFrameBytes as too-large and reads the frames after it', async () => {
    const h = await createHarness({ neuron: { maxFrameBytes: 1024 } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    // One oversized single-line event, then one spread over many data lines.
    sendData(h, JSON.stringify({ type: 'future', blob: 'x'.repeat(4096) }));
    h.gw.sendRaw(
      'neuron-1',
      `${'data: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n'.repeat(100)}\n`,
    );
    // Right behind them, in the same write, a valid frame of an unknown type.
    h.gw.sendRaw('neuron-1', 'data: {"type":"after-the-big-ones"}\n\n');
    const errors = await errorsAfter(h, 2);
    expect(errors.map((e) => e.reason)).toEqual(['too-large', 'too-large']);
    expect(errors[0]?.message).toContain('maxFrameBytes (1024 bytes)');
    await expect
      .poll(() => eventsNamed(h.events, 'frame').map(([f]) => f.type))
      .toEqual(['registered', 'after-the-big-ones']);
    await expectEchoStillServed(h, { text: 'small enough' });
    expectStreamNeverReopened(h);
    await h.stop();
  });

  it('never lets a __proto__ key in a lease input pollute Object.prototype or reach the handler as a prototype', async () => {
    const h = await createHarness();
    const seen: Array<{ proto: unknown; keys: string[]; polluted: unknown }> = [];
    h.neuron.handle(echo, (input) => {
      const obj = input as Record<string, unknown>;
      const nested = obj.nested as Record<string, unknown>;
      seen.push({
        proto: Object.getPrototypeOf(obj),
        keys: Object.keys(obj),
        polluted: (obj as { polluted?: unknown }).polluted ?? nested.polluted,
      });
      return { keys: Object.keys(obj), nestedKeys: Object.keys(nested) };
    });
    await h.start();
    // JSON.parse makes `__proto__` an own key, so the gateway sends it on the wire as such.
    const input = JSON.parse(
      '{"a": 1, "__proto__": {"polluted": "yes"}, "nested": {"__proto__": {"polluted": "yes"}, "b": 2}}',
    );
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input }).taskId,
    );
    expect(JSON.stringify(input)).toContain('"__proto__"');
    expect(done.outcome).toMatchObject({
      type: 'ack',
      output: { keys: ['a', 'nested'], nestedKeys: ['b'] },
    });
    // The escaped spelling of the key is the same key once parsed.
    h.gw.sendRaw(
      'neuron-1',
      `data: {"type":"lease","leaseId":"l-esc","capabilityType":"acme/echo","task":{"taskId":"t-esc","input":{"\\u005f_proto__":{"polluted":"yes"},"nested":{}}},"expiresAt":"${new Date(Date.now() + 30_000).toISOString()}"}\n\n`,
    );
    // A required field that only a `__proto__` key supplies is missing.
    sendData(h, '{"type":"cancel","__proto__":{"leaseId":"l-via-proto"}}');
    await expect.poll(() => seen.length).toBe(2);
    await expect
      .poll(() => h.errors.map((e) => e.message))
      .toEqual(['cancel frame lacks required field "leaseId"; skipped']);
    for (const s of seen) {
      expect(s.proto).toBe(Object.prototype);
      expect(s.keys).not.toContain('__proto__');
      expect(s.polluted).toBeUndefined();
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    await h.stop();
  });

  it('emits every parsed frame to frame listeners, in order, the ones the SDK handles included', async () => {
    const h = await createHarness();
    // Runs until the cancel below aborts it.
    h.neuron.handle(
      echo,
      (_input, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    );
    await h.start();
    const first = h.gw.submitTask({ capabilityType: 'acme/echo', input: 1 });
    await h.gw.waitForTask(first.taskId, ['leased']);
    h.gw.cancelTask(first.taskId, 'no longer needed');
    await h.gw.waitForTask(first.taskId);
    h.gw.sendFrame('neuron-1', { type: 'x-debug', n: 1 } as unknown as InboundFrame);
    sendData(h, 'not json');
    h.gw.revokeCapability('neuron-1', 'acme/other', 'policy change');
    h.gw.disconnect('neuron-1', { reason: 'restarting', reconnectAfterMs: 10 });
    await h.gw.waitFor('registered');
    await expect
      .poll(() => eventsNamed(h.events, 'frame').map(([f]) => f.type))
      .toEqual([
        'registered',
        'lease',
        'cancel',
        'x-debug',
        'capability-revoked',
        'disconnect',
        'registered',
      ]);
    const frames = eventsNamed(h.events, 'frame').map(([f]) => f);
    expect(frames[2]).toMatchObject({ type: 'cancel', reason: 'no longer needed' });
    expect(frames[4]).toEqual({
      type: 'capability-revoked',
      capabilityType: 'acme/other',
      reason: 'policy change',
    });
    await h.stop();
  });

  it('ignores a cancel for a lease it does not hold, or has already settled', async () => {
    const h = await createHarness();
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: 'acme/echo', input: 'first' }).taskId,
    );
    h.gw.sendFrame('neuron-1', { type: 'cancel', leaseId: 'l-never-issued' });
    h.gw.sendFrame('neuron-1', { type: 'cancel', leaseId: done.leaseId!, reason: 'late' });
    await expect
      .poll(() => eventsNamed(h.events, 'frame').filter(([f]) => f.type === 'cancel'))
      .toHaveLength(2);
    await expectEchoStillServed(h, 'second');
    expect(h.gw.requestsTo('nack')).toEqual([]);
    expect(h.gw.requestsTo('ack').map((r) => (r.body as { leaseId: string }).leaseId)).toEqual([
      done.leaseId,
      h.gw.tasks()[1]?.leaseId,
    ]);
    expect(h.errors).toEqual([]);
    await h.stop();
  });
});
