/**
 * Runs the SDK reference's examples (`reference/sdk-reference.ts`) as printed, against the
 * reference gateway. The examples that hard-code `https://bigbrain.holokai.dev` reach it through
 * the default HTTP client, routed here to the loopback gateway; nothing else is changed.
 */
import {
  type InboundFrame,
  Neuron,
  type ServerToNeuronFrame,
  TaskFailedError,
} from '@holokai/neuron-sdk';
import { createTestContext } from '@holokai/neuron-sdk/testing';
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it, vi } from 'vitest';
import { leaseFrame } from '../e2e/harness.js';
import * as ref from './reference/sdk-reference.js';
import { REFERENCE_GATEWAY, registered, runTask, TOKEN, useStage } from './support.js';

const route = vi.hoisted(() => ({ gateway: '' }));

vi.mock('#platform/http', async (importOriginal) => {
  const real = await importOriginal<typeof import('#platform/http')>();
  return {
    ...real,
    defaultHttpClient() {
      const owned = real.defaultHttpClient();
      return {
        ...owned,
        client: (request: Parameters<typeof owned.client>[0]) =>
          owned.client({ ...request, url: request.url.replace(REFERENCE_GATEWAY, route.gateway) }),
      };
    },
  };
});

const stage = useStage();
const auth = () => TOKEN;
const onGateway = (neuronId = 'compat-1') =>
  stage.track(new Neuron({ gatewayUrl: stage.gw.url, neuronId, auth }));

describe('the SDK reference examples', () => {
  it('Quick start: serves its capability end to end', async () => {
    route.gateway = `${stage.gw.url}/`;
    const neuron = stage.track(await ref.quickStart());
    const task = await runTask(stage.gw, 'core/script.python', { code: 'print(1)' });
    expect(task.outcome).toMatchObject({ type: 'ack', output: { output: 'ran print(1)' } });
    expect(process.listeners('SIGTERM')).toContainEqual(expect.any(Function));
    await neuron.stop();
  });

  it('Scope: one neuron advertises mixed scopes', async () => {
    const neuron = onGateway();
    ref.mixedScopes(neuron, (input) => input);
    await neuron.start();
    await registered(stage.gw, 'compat-1');
    expect(stage.gw.neurons()[0]?.capabilities.map((c) => c.type)).toEqual([
      'desktop/mcp/drive.read',
      'core/script.python',
    ]);
  });

  it('Neuron ID: both forms give a string', async () => {
    expect(await ref.neuronIds()).toEqual([
      { neuronId: `worker-compat-host-${process.pid}` },
      { neuronId: 'id-from-/var/lib/myapp/neuron-id' },
    ]);
  });

  it('start(), updateCapability() and stop() as shown', async () => {
    const neuron = onGateway();
    neuron.handle({ type: 'core/script.python', scope: 'any', concurrency: 4 }, () => null);
    await ref.lifecycleCalls(neuron);
    expect(neuron.getState()).toBe('stopped');
  });

  it('the HandlerContext snippets: signal, progress, fail', async () => {
    const t = createTestContext({ input: null });
    const resp = await ref.signalSnippet(t.ctx, `${stage.gw.url}/__dev__/health`);
    expect(resp.status).toBe(200);
    ref.progressSnippet(t.ctx);
    expect(t.progress).toEqual([
      { percent: 50, message: 'halfway done' },
      { data: { rowsProcessed: 1200 } },
    ]);
    globalThis.validApiKey = false;
    expect(() => ref.failSnippet(t.ctx)).toThrow(TaskFailedError);
    expect(t.failure).toEqual({ reason: 'invalid API key', code: 'INVALID_API_KEY' });
  });

  it('AuthCallback: the refreshing callback refreshes only an expired token', async () => {
    const callback = await ref.refreshingAuth();
    expect(await callback()).toBe('token-1');
    expect(await callback()).toBe('token-1');
    globalThis.isExpired = () => true;
    expect(await callback()).toBe('token-2');
    expect(
      () => new Neuron({ gatewayUrl: stage.gw.url, neuronId: 'n', auth: callback }),
    ).not.toThrow();
  });

  it('NeuronLogger: pino, and the interface over console', () => {
    const neuron = ref.pinoLogger(stage.gw.url, 'compat-1', auth);
    expect(typeof neuron.logger.child).toBe('function');
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    ref.consoleLogger.info({ a: 1 }, 'hello');
    expect(info).toHaveBeenCalledWith('hello', { a: 1 });
    info.mockRestore();
  });

  it('defineCapability(): zod validates, transforms reach the wire, overrides apply', async () => {
    const neuron = onGateway();
    const other = onGateway('compat-2');
    const cap = ref.definedCapability(neuron, other, async () => ({ stdout: '', exitCode: 1 }));
    expect(cap.type).toBe('core/script.python');
    await neuron.start();
    const ok = await runTask(stage.gw, 'core/script.python', { code: 'x' });
    expect(ok.outcome).toMatchObject({ type: 'ack', output: { stdout: '...', exitCode: 0 } });
    const bad = await runTask(stage.gw, 'core/script.python', { code: 1 });
    expect(bad.outcome).toMatchObject({ type: 'nack', kind: 'schema-mismatch' });
    expect(other.snapshot().capabilities).toMatchObject([
      { type: 'core/script.python', concurrency: 8 },
    ]);
  });

  it('Events: off() unsubscribes, once() and on() see the connection', async () => {
    const neuron = onGateway();
    neuron.handle({ type: 'core/x', scope: 'any', concurrency: 1 }, () => null);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    ref.events(neuron);
    await neuron.start();
    await registered(stage.gw, 'compat-1');
    await expect.poll(() => log.mock.calls.length).toBe(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/^registered as s-/);
    stage.gw.disconnect('compat-1', { reconnectAfterMs: 10 });
    await expect.poll(() => stage.world.shown.length).toBeGreaterThan(0);
    expect(stage.world.shown[0]?.[0]).toMatch(/^reconnecting \(attempt 1, \d+ms\)$/);
    expect(stage.world.appended).toEqual([]);
    log.mockRestore();
  });

  it('Events: a listener typed ServerToNeuronFrame, calls chained as on any EventEmitter', async () => {
    const neuron = onGateway();
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    const seen: ServerToNeuronFrame[] = [];
    const chained = ref.typedFrameListener(neuron, seen);
    expect(neuron).toBeInstanceOf(EventEmitter);
    expect(chained).toBeInstanceOf(Neuron);
    expect(neuron.listenerCount('frame')).toBe(1);
    await neuron.start();
    await runTask(stage.gw, 'acme/echo', 1);
    expect(seen.map((f) => f.type)).toEqual(['lease']);
  });

  it('Transports: a transport written to the reference’s interface serves a neuron', async () => {
    const acked: unknown[] = [];
    const transport = new ref.LoopbackTransport((path, frame, send) => {
      if (path === 'register') {
        setTimeout(() => {
          send({
            type: 'registered',
            sessionId: 's-1',
            capabilities: [{ type: 'acme/echo', scope: 'any', concurrency: 1 }],
          });
          send(leaseFrame('l-1', { input: 'hi' }));
        });
      }
      if (path === 'ack') acked.push(frame);
      return undefined;
    });
    const neuron = stage.track(new Neuron({ neuronId: 'loop-1', transport }));
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    await neuron.start();
    await expect.poll(() => acked).toMatchObject([{ type: 'ack', leaseId: 'l-1', output: 'hi' }]);
  });

  it('Transports: callbacks written to the reference’s TransportCallbacks', async () => {
    const cancel: ServerToNeuronFrame = { type: 'cancel', leaseId: 'l-1' };
    const transport = new ref.LoopbackTransport((_path, _frame, send) => send(cancel));
    const seen: ServerToNeuronFrame[] = [];
    transport.subscribe(ref.referenceCallbacks(seen));
    const frames: InboundFrame[] = [];
    transport.subscribe({ onFrame: (frame) => frames.push(frame) });
    await transport.post('heartbeat', {
      type: 'heartbeat',
      neuronId: 'n',
      sessionId: 's',
      inFlight: [],
      sentAt: new Date().toISOString(),
    });
    expect(seen).toEqual([cancel]);
    expect(frames).toEqual([cancel]);
  });

  it('HttpTransport: built explicitly, it serves a neuron', async () => {
    route.gateway = `${stage.gw.url}/`;
    const neuron = stage.track(ref.httpTransport());
    neuron.handle({ type: 'acme/echo', scope: 'any', concurrency: 1 }, (input) => input);
    await neuron.start();
    const task = await runTask(stage.gw, 'acme/echo', 'x');
    expect(task.outcome).toMatchObject({ type: 'ack', output: 'x' });
  });
});
