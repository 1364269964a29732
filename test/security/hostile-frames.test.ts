/**
 * Hostile frames on the stream (extends test/e2e/frames.test.ts): wrong types for every field of
 * every known frame, huge strings, deep nesting, `__proto__` / `constructor` keys and ids named
 * after `Object.prototype` members or the neuron's own actors, internal event names as frame
 * types, a lease for a capability not served. No crash, a clear `error` event where the frame is
 * refused, and the stream goes on.
 */
import { FrameError, type InboundFrame, type LeaseFrame } from '@holokai/neuron-sdk';
import { createRecordingLogger } from '@holokai/neuron-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, disposeHarnesses, eventsNamed, type Harness } from '../e2e/harness.js';

afterEach(disposeHarnesses);

const echo = { type: 'acme/echo', scope: 'any', concurrency: 4 } as const;
const later = () => new Date(Date.now() + 30_000).toISOString();

function sendData(h: Harness, data: string): void {
  h.gw.sendRaw('neuron-1', `data: ${data}\n\n`);
}

async function expectStillServing(h: Harness): Promise<void> {
  const done = await h.gw.waitForTask(
    h.gw.submitTask({ capabilityType: echo.type, input: 1 }).taskId,
  );
  expect(done.state).toBe('acked');
  expect(h.neuron.getState()).toBe('serving');
}

const valid: Record<string, Record<string, unknown>> = {
  registered: {
    type: 'registered',
    sessionId: 's-x',
    capabilities: [{ type: 'acme/echo', scope: 'any', concurrency: 1 }],
    rejected: [{ type: 'a/b', code: 'C' }],
    heartbeatIntervalMs: 1000,
  },
  lease: {
    type: 'lease',
    leaseId: 'l-x',
    capabilityType: 'acme/echo',
    task: { taskId: 't-x', input: 1, workflowId: 'w', onBehalfOf: 'u', attempt: 1 },
    inputSchema: {},
    outputSchema: {},
    expiresAt: later(),
  },
  cancel: { type: 'cancel', leaseId: 'l-x', reason: 'r' },
  'capability-revoked': { type: 'capability-revoked', capabilityType: 'acme/echo', reason: 'r' },
  disconnect: { type: 'disconnect', reason: 'r', reconnectAfterMs: 10 },
};

/** A value of another JSON type than `value`. */
function wrongTypeFor(value: unknown): unknown[] {
  if (typeof value === 'string') return [42, null, { s: 1 }, ['s']];
  if (typeof value === 'number') return ['1000', null, -5, true];
  if (Array.isArray(value)) return [{ 0: 'a' }, 'list', 7];
  if (typeof value === 'object' && value !== null) return ['obj', 3, [1], null];
  return ['x'];
}

/** Every (frame, path) with a wrong-typed value at that path, nested fields included. */
function mutations(): Array<{ type: string; path: string; frame: Record<string, unknown> }> {
  const out: Array<{ type: string; path: string; frame: Record<string, unknown> }> = [];
  const walk = (type: string, node: Record<string, unknown>, path: string[]) => {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'type' && path.length === 0) continue;
      // Any JSON value is fine here: the task input and the lease's own schemas are not typed.
      if (key === 'input' || key === 'inputSchema' || key === 'outputSchema') continue;
      for (const wrong of wrongTypeFor(value)) {
        const frame = structuredClone(valid[type]!);
        let target: Record<string, unknown> = frame;
        for (const p of path) target = target[p] as Record<string, unknown>;
        target[key] = wrong;
        out.push({ type, path: [...path, key].join('.'), frame });
      }
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(type, value as Record<string, unknown>, [...path, key]);
      }
    }
  };
  for (const type of Object.keys(valid)) walk(type, valid[type]!, []);
  return out;
}

/** The fields PROTOCOL.md requires: a wrong value there skips the frame. */
const REQUIRED = new Set([
  'registered.sessionId',
  'registered.capabilities',
  'lease.leaseId',
  'lease.capabilityType',
  'lease.task',
  'lease.task.taskId',
  'cancel.leaseId',
  'capability-revoked.capabilityType',
]);
const isRequired = (c: { type: string; path: string }) => REQUIRED.has(`${c.type}.${c.path}`);

describe('frames with a wrong type in any field', () => {
  it('are reported as a FrameError naming the frame and skipped when the field is required, and the stream goes on', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
    let ran = 0;
    h.neuron.handle(echo, (input) => {
      ran++;
      return input;
    });
    await h.start();
    const cases = mutations().filter(isRequired);
    expect(cases.length).toBeGreaterThan(30);
    for (const c of cases) sendData(h, JSON.stringify(c.frame));
    await expect.poll(() => h.errors.length).toBe(cases.length);
    h.errors.forEach((err, i) => {
      expect(err).toBeInstanceOf(FrameError);
      expect((err as FrameError).frameType, cases[i]!.path).toBe(cases[i]!.type);
      expect(err.message.length).toBeLessThan(400);
    });
    expect(eventsNamed(h.events, 'lease:received')).toEqual([]);
    expect(ran).toBe(0);
    expect(eventsNamed(h.events, 'connection:close')).toEqual([]);
    expect(h.neuron.snapshot().connection.sessionId).toBe(h.gw.neurons()[0]?.sessionId);
    await expectStillServing(h);
    await h.stop();
  });

  it('are delivered without the field, with a warning, when the field is optional', async () => {
    const log = createRecordingLogger();
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000, logger: log } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    // A disconnect would end the stream; its optional fields are covered in the frame tests.
    const cases = mutations().filter((c) => !isRequired(c) && c.type !== 'disconnect');
    expect(cases.length).toBeGreaterThan(30);
    cases.forEach((c, i) => {
      if (c.type === 'lease') c.frame.leaseId = `l-opt-${i}`;
      sendData(h, JSON.stringify(c.frame));
    });
    const field = (path: string) => path.split('.').at(-1) as string;
    await expect.poll(() => eventsNamed(h.events, 'frame').length).toBe(cases.length + 1);
    const delivered = eventsNamed(h.events, 'frame').slice(1);
    delivered.forEach(([frame], i) => {
      const c = cases[i]!;
      const holder = c.path.startsWith('task.') ? (frame as LeaseFrame).task : frame;
      expect(Object.hasOwn(holder, field(c.path)), `${c.type}.${c.path}`).toBe(false);
    });
    const ignored = log.logs.filter((l) => l.level === 'warn' && /; ignored$/.test(l.msg ?? ''));
    expect(ignored).toHaveLength(cases.length);
    expect(h.errors).toEqual([]);
    const leases = cases.filter((c) => c.type === 'lease').length;
    await expect.poll(() => eventsNamed(h.events, 'lease:settled').length).toBe(leases);
    expect(eventsNamed(h.events, 'connection:close')).toEqual([]);
    await h.stop();
  });
});

describe('huge and deep frames', () => {
  it('passes a 4 MB input through, bounds error messages built from a 1 MB field, and ignores huge unknown frames', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
    h.neuron.handle(echo, (input) => ({ length: (input as string).length }));
    await h.start();
    const big = 'y'.repeat(4 * 1024 * 1024);
    const done = await h.gw.waitForTask(
      h.gw.submitTask({ capabilityType: echo.type, input: big }).taskId,
    );
    expect(done.outcome).toMatchObject({ type: 'ack', output: { length: big.length } });
    sendData(h, JSON.stringify({ ...valid.lease, leaseId: 'z'.repeat(1024 * 1024), task: 1 }));
    sendData(h, JSON.stringify({ type: `x-${'t'.repeat(1024 * 1024)}`, blob: big }));
    await expect.poll(() => h.errors.length).toBe(1);
    expect(h.errors[0]!.message.length).toBeLessThan(400);
    await expect.poll(() => eventsNamed(h.events, 'frame').length).toBe(3); // registered, lease, x-…
    await expectStillServing(h);
    await h.stop();
  });

  it('survives 100 000 levels of nesting: a not-json error where the parse cannot cope, a terminal nack where the output cannot be serialized', async () => {
    const h = await createHarness({
      gateway: { maxAttempts: 1 },
      neuron: { heartbeatIntervalMs: 60_000 },
    });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const lease = (leaseId: string, input: string, extra = '') =>
      `{"type":"lease","leaseId":"${leaseId}","capabilityType":"acme/echo","task":{"taskId":"t-${leaseId}","input":${input}}${extra},"expiresAt":"${later()}"}`;
    // Plain deep input: parsed; echoing it back cannot be serialized.
    sendData(h, lease('l-deep', deep));
    // With a __proto__ key the SDK parses with a reviver, which recurses: reported, skipped.
    sendData(h, lease('l-deep-proto', deep, ',"__proto__":{}'));
    await expect
      .poll(() => h.gw.requestsTo('nack').length + h.gw.requestsTo('ack').length)
      .toBeGreaterThanOrEqual(1);
    const outcome = [...h.gw.requestsTo('nack'), ...h.gw.requestsTo('ack')][0]!.body as Record<
      string,
      unknown
    >;
    expect(outcome).toMatchObject({ leaseId: 'l-deep' });
    if (outcome.type === 'nack')
      expect(outcome).toMatchObject({ kind: 'terminal', code: 'OUTPUT_NOT_SERIALIZABLE' });
    const received = eventsNamed(h.events, 'lease:received').map(([r]) => r.leaseId);
    if (!received.includes('l-deep-proto')) {
      await expect.poll(() => h.errors.map((e) => (e as FrameError).reason)).toContain('not-json');
    }
    await expectStillServing(h);
    await h.stop();
  });
});

describe('prototype keys and ids that name the SDK internals', () => {
  it('never pollutes a prototype through __proto__ or constructor keys at any depth', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
    const seen: unknown[] = [];
    h.neuron.handle(echo, (input) => {
      seen.push(input);
      return 'ok';
    });
    await h.start();
    const payload = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}';
    h.gw.sendRaw(
      'neuron-1',
      `data: {"type":"lease","leaseId":"l-p","capabilityType":"acme/echo","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"task":{"taskId":"t-p","input":${payload},"__proto__":{"polluted":1}},"expiresAt":"${later()}"}\n\n`,
    );
    sendData(
      h,
      `{"type":"x-future","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}`,
    );
    await expect.poll(() => seen.length).toBe(1);
    const input = seen[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(Object.keys(input)).toEqual(['constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect((Function.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    const frames = eventsNamed(h.events, 'frame').map(
      ([f]) => f as unknown as Record<string, unknown>,
    );
    for (const f of frames) expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    await h.stop();
  });

  it('serves leases whose ids name Object.prototype members or its own actors, and ignores cancels, revocations and lost lists naming them (regression: a cancel for "valueOf" killed the neuron)', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 100 } });
    const ran: string[] = [];
    h.neuron.handle(echo, (_input, ctx) => {
      ran.push(ctx.leaseId);
      return 'ok';
    });
    await h.start();
    // Unknown to the neuron: a cancel, a revocation, a heartbeat answer naming such ids.
    for (const id of [
      'valueOf',
      'constructor',
      '__proto__',
      'connection',
      'drain',
      '#_connection',
    ]) {
      h.gw.sendFrame('neuron-1', { type: 'cancel', leaseId: id });
    }
    for (const type of ['constructor', '__proto__', 'toString']) {
      h.gw.sendFrame('neuron-1', { type: 'capability-revoked', capabilityType: type });
    }
    h.gw.failNext('heartbeat', {
      status: 200,
      body: {
        lost: ['toString', '__proto__'],
        leases: [{ leaseId: 'constructor', expiresAt: later() }],
      },
    });
    await h.gw.waitFor('request', (r) => r.path === 'heartbeat');
    expect(h.neuron.getState()).toBe('serving');
    expect(h.neuron.snapshot().capabilities).toEqual([
      expect.objectContaining({ type: echo.type, served: true }),
    ]);
    // Leases carrying such ids are real leases: run once each, answered (410: never issued).
    const ids = [
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'connection',
      'drain',
      '#_connection',
      'lease:connection',
    ];
    for (const id of ids) {
      h.gw.sendFrame('neuron-1', {
        type: 'lease',
        leaseId: id,
        capabilityType: echo.type,
        task: { taskId: `t-${id}`, input: id },
        expiresAt: later(),
      } as InboundFrame);
    }
    await expect.poll(() => [...ran].sort()).toEqual([...ids].sort());
    await expect.poll(() => eventsNamed(h.events, 'lease:settled').length).toBe(ids.length);
    expect(eventsNamed(h.events, 'lease:received').every(([r]) => !r.duplicate)).toBe(true);
    expect(
      h.gw
        .requestsTo('ack')
        .map((r) => (r.body as { leaseId: string }).leaseId)
        .sort(),
    ).toEqual([...ids].sort());
    await expectStillServing(h);
    await h.stop();
  });

  it('treats internal event names used as frame types as unknown frames: nothing stops, drains or settles', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
    h.neuron.handle(echo, (input) => input);
    await h.start();
    for (const type of [
      'stop',
      'start',
      'xstate.init',
      'xstate.stop',
      'drain.close',
      'drain.abort-running',
      'lease.settled',
      'connection.closed',
      'leases.idle',
      'update-capability',
      '__proto__',
      'constructor',
      'toString',
    ]) {
      h.gw.sendFrame('neuron-1', {
        type,
        leaseId: 'l-1',
        drain: false,
        timeoutMs: 0,
      } as unknown as InboundFrame);
    }
    await expect.poll(() => eventsNamed(h.events, 'frame').length).toBe(14);
    expect(h.errors).toEqual([]);
    expect(h.neuron.getState()).toBe('serving');
    expect(h.neuron.snapshot().connection.state).toMatch(/^open/);
    await expectStillServing(h);
    await h.stop();
  });

  it('nacks a lease for a capability it does not serve retryable UNKNOWN_CAPABILITY, never running it', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
    let ran = 0;
    h.neuron.handle(echo, () => {
      ran++;
      return 1;
    });
    await h.start();
    h.gw.sendFrame('neuron-1', {
      ...valid.lease,
      leaseId: 'l-other',
      capabilityType: 'acme/not-mine',
    } as unknown as InboundFrame);
    await expect.poll(() => h.gw.requestsTo('nack').length).toBe(1);
    expect(h.gw.requestsTo('nack')[0]!.body).toMatchObject({
      leaseId: 'l-other',
      kind: 'retryable',
      code: 'UNKNOWN_CAPABILITY',
    });
    expect(ran).toBe(0);
    await expectStillServing(h);
    await h.stop();
  });
});
