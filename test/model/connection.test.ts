/**
 * Every transition of the connection machine, on the real connection: a `Neuron` and its
 * `HttpTransport` against the reference gateway, each step scripted on the gateway.
 */
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.js';
import { reportCoverage } from './coverage.js';
import { edgesOf, type PlannedPath, planPaths } from './graph.js';
import { connectionModel, REVOKED } from './models.js';
import {
  type Driver,
  type Microstep,
  NEURON_ID,
  Rig,
  rows,
  runPath,
  SUBJECT,
  stateAt,
} from './rig.js';

const ERROR = 'xstate.error.actor.0.connection.';
const has = (path: PlannedPath, type: string) => path.steps.some((s) => s.event.type === type);
const statusOf = (e: unknown) => (e as { error?: { status?: number } }).error?.status ?? 0;

/**
 * The gateway's answers, in the order the connection will ask: each entry into `connecting` /
 * `auth-refresh` opens the stream once, each entry into `registering` posts `register` once.
 * The step that leaves the state decides the answer; a `registering` left by something else is
 * held there (a 2xx without the `registered` frame).
 */
function script(rig: Rig, path: PlannedPath): void {
  revokedOpens = new Set();
  let opens = 0;
  const states = [path.initial.value, ...path.steps.map((s) => s.state.value)].map((v) =>
    JSON.stringify(v),
  );
  for (let k = 0; k < states.length; k++) {
    const here = states[k] ?? '';
    const before = k > 0 ? states[k - 1] : undefined;
    const entered = (name: string) => here.includes(name) && (k === 0 || before !== here);
    const leaving = path.steps[k]?.event;
    if (entered('"connecting"') || entered('"auth-refresh"')) {
      opens++;
      if ((leaving as { label?: string } | undefined)?.label === REVOKED.label)
        revokedOpens.add(opens);
      else if (leaving?.type.startsWith(ERROR))
        rig.gw.failNext('events', { status: statusOf(leaving) });
    }
    if (entered('"registering"') && !(before ?? '').includes('"registering"')) {
      if (!leaving) continue;
      if (leaving.type.startsWith(ERROR)) {
        rig.gw.failNext('register', { status: statusOf(leaving) });
      } else if (leaving.type === 'auth-rejected') {
        rig.gw.failNext('register', { status: 401, times: 2 });
      } else if (leaving.type !== 'registered') {
        rig.gw.failNext('register', { status: 202, body: {} });
      }
    }
  }
}

/** The opens (1-based) whose `auth` call throws `CredentialRevokedError`. */
let revokedOpens = new Set<number>();

/**
 * An `auth` callback that throws the revoked credential on the scripted opens. A call made while
 * the gateway holds no stream for the neuron is an open: no POST goes out without a stream here.
 */
function scriptedAuth(rig: () => Rig | undefined): () => string {
  let opens = 0;
  return () => {
    const gw = rig()?.gw;
    const streaming = gw?.neurons().some((n) => n.neuronId === NEURON_ID && n.streamOpen);
    if (!streaming && revokedOpens.has(++opens)) throw REVOKED.error;
    return 'model-token';
  };
}

const driver: Driver = {
  subject: (m) => m.machine === 'connection',
  async setup(path) {
    const lively =
      has(path, 'stream.activity') ||
      has(path, 'xstate.after.idleTimeout.connection.open.liveness.watching');
    let created: Rig | undefined;
    const rig = await Rig.create({
      auth: scriptedAuth(() => created),
      gateway: lively ? { pingIntervalMs: 25 } : {},
      neuron: {
        ...(lively ? { idleTimeoutMs: 200 } : {}),
        ...(has(path, 'session-lost') ? { heartbeatIntervalMs: 40 } : {}),
      },
    });
    created = rig;
    script(rig, path);
    return rig;
  },
  async begin(rig) {
    await rig.neuron.start();
  },
  act(rig, path, i) {
    const step = path.steps[i]!;
    const before = stateAt(path, i - 1);
    switch (step.event.type) {
      case 'stop':
        void rig.stop();
        return;
      case 'retry-hint':
        rig.gw.sendRaw(NEURON_ID, 'retry: 30\n\n');
        return;
      case 'stream.closed':
        rig.gw.dropStream(NEURON_ID);
        return;
      case 'disconnect':
        rig.gw.disconnect(NEURON_ID, { reason: 'model', reconnectAfterMs: 30 });
        return;
      case 'stream.activity':
        rig.gw.sendRaw(NEURON_ID, ': model\n\n');
        return;
      case 'xstate.after.idleTimeout.connection.open.liveness.watching':
        rig.gw.stallStream(NEURON_ID);
        return;
      case 'session-lost':
        rig.gw.failNext('heartbeat', { status: 404 });
        return;
      case 'registered':
        if (before.includes('"registering"')) return; // the gateway's own answer to `register`
        rig.gw.sendFrame(NEURON_ID, {
          type: 'registered',
          sessionId: 's-model',
          capabilities: [{ type: SUBJECT, scope: 'any', concurrency: 1 }],
        });
        return;
      default:
        // Invoke results were scripted up front; delays only need time.
        return;
    }
  },
  async wire(rig, path, i, m) {
    const now = stateAt(path, i);
    const was = stateAt(path, i - 1);
    const event = path.steps[i]?.event;
    if (now.includes('"connecting"') || now.includes('"auth-refresh"')) {
      await rig.waitForRequest('events', () => true, m.at);
    }
    if (now.includes('"registering"') && (i < 0 || !was.includes('"registering"'))) {
      const register = await rig.waitForRequest('register', () => true, m.at);
      expect((register.body as { capabilities: unknown[] }).capabilities).toHaveLength(1);
    }
    if (now.includes('"registered"') && !was.includes('"registered"')) {
      expect(m.context.sessionId, 'session recorded').toEqual(expect.any(String));
    }
    if (now.includes('"rejected"')) {
      expect(rig.errors.map((e) => (e as { code?: string }).code)).toContain(
        'NEURON_ERR_REGISTRATION_REJECTED',
      );
    }
    if (event?.type === 'retry-hint') expect(m.context.hintMs).toBe(30);
    if (now === '"backoff"') await checkBackoff(rig, m, event);
    if (now === '"stopped"') {
      await rig.sleep(60);
      expect(rig.requests('events', m.at + 1), 'no stream opened once stopped').toEqual([]);
    }
  },
};

/** In `backoff` no request is made until the delay passes; the delay follows the cause. */
async function checkBackoff(rig: Rig, m: Microstep, event: { type: string } | undefined) {
  const delayMs = m.context.delayMs as number;
  if (event?.type === 'disconnect') expect(delayMs).toBe(30);
  else if (event && statusOf(event) === 403 && event.type.includes('connecting'))
    expect(delayMs).toBe(60);
  else expect(delayMs).toBeGreaterThanOrEqual(10);
  await rig.sleep(Math.max(0, m.at + delayMs - Date.now() - 3));
  const early = rig.gw.requests.filter(
    (r) => r.at > m.at && r.at < m.at + delayMs - 3 && r.path === 'events',
  );
  expect(early, `no stream opened during the ${delayMs} ms backoff`).toEqual([]);
}

const plan = planPaths(connectionModel.machine, connectionModel.plan);

describe('connection machine, on the real connection', () => {
  it('has a path to every transition', () => {
    expect(plan.unreachable).toEqual([]);
  });

  it.each(rows(plan.paths))('%s', async (_name, path) => {
    await runPath(driver, path);
  });

  it('takes every transition', () => {
    reportCoverage('connection', edgesOf(connectionMachine));
  });
});
