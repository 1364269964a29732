/**
 * Every transition of the neuron machine, on a real `Neuron` against the reference gateway:
 * its frames sent by the gateway, its children (connection, leases, drain) real actors whose
 * notifications the gateway provokes.
 */
import { HttpTransport, silentLogger } from '@holokai/neuron-sdk';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { neuronMachine } from '../../machines/neuron.js';
import { provideEffects } from '../../src/neuron/effects.js';
import { NeuronTelemetry } from '../../src/telemetry/telemetry.js';
import { reportCoverage } from './coverage.js';
import { edgesOf, type PlannedPath, planPaths } from './graph.js';
import { neuronModel } from './models.js';
import { type Driver, NEURON_ID, Rig, rows, runPath, SUBJECT, stateAt } from './rig.js';

const BEATING = 'xstate.error.actor.0.neuron.active.heartbeat.on.beating';
const AFTER_HEARTBEAT = 'xstate.after.heartbeat.neuron.active.heartbeat.on.waiting';

const types = (path: PlannedPath) => path.steps.map((s) => s.event.type);
const has = (path: PlannedPath, type: string) => types(path).includes(type);
const statusOf = (e: unknown) => (e as { error?: { status?: number } }).error?.status ?? 0;

/** `stop` before `start`: the `Neuron` class never sends it, so run the production actor. */
async function stopIdle(rig: Rig): Promise<void> {
  const transport = new HttpTransport({
    gatewayUrl: rig.gw.url,
    neuronId: NEURON_ID,
    auth: () => 'model-token',
  });
  const actor = createActor(
    provideEffects({
      neuronId: NEURON_ID,
      transport,
      logger: silentLogger,
      handlers: new Map(),
      concurrencyOf: () => 1,
      deadlineOf: () => Date.now(),
      emitError: () => {},
      telemetry: new NeuronTelemetry(NEURON_ID),
    }),
    {
      input: {
        capabilities: { [SUBJECT]: 1 },
        heartbeatIntervalMs: 60_000,
        cancelGraceMs: 1_000,
        defaultLeaseTtlMs: 30_000,
        abortGraceMs: 1_000,
        reconnect: { initialReconnectDelayMs: 20, maxReconnectDelayMs: 60, idleTimeoutMs: 60_000 },
      },
      inspect: rig.inspect,
    },
  );
  actor.start();
  actor.send({ type: 'stop', drain: true, timeoutMs: 1_000 });
  expect(actor.getSnapshot().status).toBe('done');
  await transport.close();
}

const driver: Driver = {
  lazy: true,
  subject: (m) => m.machine === 'neuron',
  async setup(path) {
    const rig = await Rig.create({
      neuron: { ...(has(path, AFTER_HEARTBEAT) ? { heartbeatIntervalMs: 40 } : {}) },
    });
    const error = path.steps.find((s) => s.event.type === BEATING)?.event;
    if (error) {
      const status = statusOf(error);
      rig.gw.failNext('heartbeat', { status, times: status === 401 ? 2 : 1 });
    }
    if (has(path, 'connection.error')) rig.gw.failNext('register', { status: 403 });
    // Heartbeats stay off unless the path registers: the gateway accepts `register` silently.
    else if (!has(path, 'connection.registered'))
      rig.gw.failNext('register', { status: 202, body: {} });
    return rig;
  },
  async begin() {},
  async act(rig, path, i) {
    const step = path.steps[i]!;
    const inIdle = stateAt(path, i - 1).includes('idle');
    switch (step.event.type) {
      case 'start':
        await rig.neuron.start();
        return;
      case 'stop':
        if (inIdle) return stopIdle(rig);
        void rig.stop({ drain: !has(path, 'drain.abort-running'), timeoutMs: 60_000 });
        return;
      case 'registered':
      case 'connection.registered':
        if (step.event.type === 'connection.registered' && stateAt(path, i - 1).includes('off'))
          return; // the gateway registers the neuron by itself
        await rig.streamOpen();
        rig.gw.sendFrame(NEURON_ID, {
          type: 'registered',
          sessionId: 's-model',
          capabilities: [{ type: SUBJECT, scope: 'any', concurrency: 1 }],
        });
        return;
      case 'disconnect':
        await rig.streamOpen();
        rig.gw.disconnect(NEURON_ID, { reason: 'model', reconnectAfterMs: 30 });
        return;
      case 'update-capability':
        await rig.neuron.updateCapability({ type: SUBJECT, concurrency: 2 });
        return;
      case 'connection.closed':
      case 'connection.reconnecting':
        await rig.streamOpen();
        rig.gw.dropStream(NEURON_ID);
        return;
      default:
        // connection.open / connection.error, the drain's requests and the pool's answer
        // (`leases.idle`), heartbeats: by themselves.
        return;
    }
  },
  async wire(rig, path, i, m) {
    const now = stateAt(path, i);
    const event = path.steps[i]?.event.type ?? '';
    if (i === 0 && event === 'start') await rig.waitForRequest('events', () => true, m.at);
    if (event === 'stop' && now.includes('stopped')) {
      expect(rig.gw.requests, 'a neuron stopped before start makes no request').toEqual([]);
    }
    if (now.includes('beating')) {
      const beat = await rig.waitForRequest('heartbeat', () => true, m.at);
      expect(beat.body).toMatchObject({ type: 'heartbeat', neuronId: NEURON_ID });
    }
    if (event === 'connection.registered' && now.includes('"on"')) {
      expect(m.context.sessionId).toEqual(expect.any(String));
    }
    if (event.startsWith(BEATING) && now.includes('off')) {
      const status = statusOf(path.steps[i]?.event);
      // 404 NO_SESSION: `register` again.
      if (status === 404) await rig.waitForRequest('register', () => true, m.at);
    }
    if (event === 'xstate.done.actor.drain') {
      await rig.stop();
      expect(rig.neuron.getState()).toBe('stopped');
      await expect
        .poll(() => rig.gw.neurons().find((n) => n.neuronId === NEURON_ID)?.streamOpen ?? false)
        .toBe(false);
    }
    if (event === 'update-capability') {
      // The slot limit moves at once; the gateway hears of it only from a registered neuron.
      const capability = rig.neuron.snapshot().capabilities.find((c) => c.type === SUBJECT);
      expect(capability?.concurrency, 'the new concurrency').toBe(2);
      const posted = rig.requests('update-capability');
      if (m.context.sessionId === undefined) expect(posted).toEqual([]);
      else
        expect(posted.map((r) => r.body)).toMatchObject([
          { capabilityType: SUBJECT, concurrency: 2 },
        ]);
    }
  },
};

const plan = planPaths(neuronModel.machine, neuronModel.plan);

describe('neuron machine, on a real Neuron', () => {
  it('has a path to every transition', () => {
    expect(plan.unreachable).toEqual([]);
  });

  it.each(rows(plan.paths))('%s', async (_name, path) => {
    await runPath(driver, path);
  });

  it('takes every transition', () => {
    reportCoverage('neuron', edgesOf(neuronMachine));
  });
});
