/**
 * The spans and metrics of a real neuron against the dev gateway, through an OpenTelemetry SDK
 * registered with in-memory exporters: an ack, a schema mismatch, a cancel and a retried ack.
 */
import type { Handler } from '@holokai/neuron-sdk';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, disposeHarnesses, type Harness } from '../e2e/harness.js';
import { installOtel, type Otel } from './otel.js';

const ECHO = {
  type: 'acme/echo',
  scope: 'any',
  concurrency: 2,
  inputSchema: { type: 'object', required: ['text'] },
} as const;

let otel: Otel;
beforeAll(() => {
  otel = installOtel();
});
afterAll(() => otel.uninstall());
afterEach(async () => {
  await disposeHarnesses();
  otel.reset();
});

async function serving(handler: Handler): Promise<Harness> {
  const h = await createHarness({ neuron: { heartbeatIntervalMs: 60_000 } });
  h.neuron.handle(ECHO, handler);
  await h.start();
  return h;
}

/** The lease span of `taskId`, and the spans under it, by name. */
function traceOf(taskId: string): { lease: ReadableSpan; children: Map<string, ReadableSpan[]> } {
  const lease = otel.spans().find((s) => s.attributes['bigbrain.task.id'] === taskId);
  if (!lease) throw new Error(`no lease span for ${taskId}`);
  const children = new Map<string, ReadableSpan[]>();
  for (const span of otel.spans()) {
    if (span.parentSpanContext?.spanId !== lease.spanContext().spanId) continue;
    children.set(span.name, [...(children.get(span.name) ?? []), span]);
  }
  return { lease, children };
}

const sum = (points: Array<{ value: unknown }>) =>
  points.reduce((n, p) => n + (typeof p.value === 'number' ? p.value : 0), 0);

describe('traces', () => {
  it('an ack: one CONSUMER span with validation, the handler and the POST under it; the handler’s own span nests', async () => {
    const h = await serving(async (input) => {
      trace.getTracer('user').startActiveSpan('user work', (span) => span.end());
      return input;
    });
    const task = h.gw.submitTask({ capabilityType: ECHO.type, input: { text: 'hi' } });
    expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
    await expect.poll(() => otel.spans().some((s) => s.name === 'process acme/echo')).toBe(true);
    const { lease, children } = traceOf(task.taskId);
    expect(lease.kind).toBe(SpanKind.CONSUMER);
    expect(lease.attributes).toMatchObject({
      'messaging.system': 'bigbrain',
      'messaging.operation.type': 'process',
      'messaging.destination.name': ECHO.type,
      'bigbrain.lease.id': expect.any(String),
      'bigbrain.task.attempt': 1,
      'bigbrain.outcome': 'ack',
      'bigbrain.lease.settlement': 'delivered',
    });
    expect(lease.status.code).toBe(SpanStatusCode.UNSET);
    expect([...children.keys()].sort()).toEqual(['handle', 'send ack', 'validate input']);
    const handle = children.get('handle')?.[0];
    const user = otel.spans().find((s) => s.name === 'user work');
    expect(user?.parentSpanContext?.spanId).toBe(handle?.spanContext().spanId);
    expect(children.get('send ack')?.[0]?.kind).toBe(SpanKind.CLIENT);
  });

  it('a schema mismatch: the validation span failed, no handler ran, the lease span is an error', async () => {
    const h = await serving((input) => input);
    const task = h.gw.submitTask({
      capabilityType: ECHO.type,
      input: { no: 'text' },
      maxAttempts: 1,
    });
    expect((await h.gw.waitForTask(task.taskId)).state).toBe('failed');
    await expect.poll(() => otel.spans().some((s) => s.name === 'send nack')).toBe(true);
    const { lease, children } = traceOf(task.taskId);
    expect(lease.attributes['bigbrain.outcome']).toBe('schema-mismatch');
    expect(lease.status.code).toBe(SpanStatusCode.ERROR);
    expect(children.get('validate input')?.[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(children.has('handle')).toBe(false);
  });

  it('a cancel: outcome cancelled, and a cancel is no error', async () => {
    let started = false;
    const h = await serving((_input, ctx) => {
      started = true;
      return new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    });
    const task = h.gw.submitTask({ capabilityType: ECHO.type, input: { text: 'wait' } });
    // Running, not still being validated (a cancel then nacks without running it).
    await expect.poll(() => started).toBe(true);
    h.gw.cancelTask(task.taskId, 'no longer needed');
    expect((await h.gw.waitForTask(task.taskId)).state).toBe('cancelled');
    await expect
      .poll(() => otel.spans().some((s) => s.attributes['bigbrain.outcome'] === 'cancelled'))
      .toBe(true);
    const { lease, children } = traceOf(task.taskId);
    expect(lease.status.code).toBe(SpanStatusCode.UNSET);
    expect(children.get('handle')?.[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a retried ack: one span per POST try, the failed one marked, and a retry counted', async () => {
    const h = await serving((input) => input);
    h.gw.failNext('ack', { status: 503 });
    const task = h.gw.submitTask({ capabilityType: ECHO.type, input: { text: 'again' } });
    expect((await h.gw.waitForTask(task.taskId)).state).toBe('acked');
    await expect.poll(() => otel.spans().filter((s) => s.name === 'send ack').length).toBe(2);
    const tries = traceOf(task.taskId).children.get('send ack') ?? [];
    expect(tries.map((s) => [s.attributes['bigbrain.post.attempt'], s.status.code])).toEqual([
      [1, SpanStatusCode.ERROR],
      [2, SpanStatusCode.UNSET],
    ]);
    expect(sum(await otel.points('neuron.outcome.retries'))).toBe(1);
  });
});

describe('metrics', () => {
  it('count leases received and settled by outcome, time handlers and leases, and gauge the load', async () => {
    const h = await serving((input) => input);
    for (const text of ['a', 'b', 'c']) {
      const task = h.gw.submitTask({ capabilityType: ECHO.type, input: { text } });
      await h.gw.waitForTask(task.taskId);
    }
    const settled = await otel.points('neuron.leases.settled');
    const acks = settled.filter(
      (p) =>
        p.attributes['bigbrain.outcome'] === 'ack' &&
        p.attributes['bigbrain.capability.type'] === ECHO.type,
    );
    expect(sum(acks)).toBeGreaterThanOrEqual(3);
    expect(sum(await otel.points('neuron.leases.received'))).toBeGreaterThanOrEqual(3);
    const handler = await otel.points('neuron.handler.duration');
    expect(handler.some((p) => (p.value as { count: number }).count >= 3)).toBe(true);
    expect((await otel.points('neuron.lease.duration')).length).toBeGreaterThan(0);
    const running = await otel.points('neuron.leases.running');
    expect(running).toEqual([
      expect.objectContaining({ value: 0, attributes: { 'bigbrain.capability.type': ECHO.type } }),
    ]);
  });

  it('time heartbeats and count reconnects', async () => {
    const h = await createHarness({ neuron: { heartbeatIntervalMs: 30 } });
    h.neuron.handle(ECHO, (input) => input);
    await h.start();
    await expect.poll(() => h.gw.requestsTo('heartbeat').length).toBeGreaterThan(1);
    h.gw.dropStream('neuron-1');
    await h.gw.waitFor('registered', (e) => e.neuronId === 'neuron-1');
    const beats = await otel.points('neuron.heartbeat.duration');
    expect(beats.some((p) => (p.value as { count: number }).count > 0)).toBe(true);
    expect(sum(await otel.points('neuron.reconnects'))).toBeGreaterThanOrEqual(1);
  });
});
