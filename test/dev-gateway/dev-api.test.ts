import { createHook } from 'node:async_hooks';
import { request } from 'node:http';
import { createParser } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
  type TaskRecord,
} from '../../src/dev-gateway/index.js';
import { SDK_VERSION } from '../../src/version.js';
import { connect, echo, type JsonAnswer, post, requestJson, type SseStream } from './sse-client.js';

const TOKEN = 'dev-api-token';
let gw: DevGateway;
const streams: Array<{ close(): void }> = [];

async function start(options: DevGatewayOptions = {}): Promise<DevGateway> {
  gw = await createDevGateway({ token: TOKEN, ...options });
  return gw;
}

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await gw?.close();
});

/** One request to the dev API, without a token (the routes take none). */
function api(method: string, path: string, body?: unknown): Promise<JsonAnswer> {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return requestJson(method, `${gw.url}/__dev__${path}`, text);
}

interface DevEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Follows `/__dev__/events`, recording every event and comment in order. */
function follow(query = '') {
  const events: DevEvent[] = [];
  const comments: string[] = [];
  let wake = (): void => {};
  let status = 0;
  let ended = false;
  const parser = createParser({
    onEvent: ({ event, data }) => {
      events.push({ event: event ?? 'message', data: JSON.parse(data) });
      wake();
    },
    onComment: (comment) => {
      comments.push(comment);
      wake();
    },
  });
  const req = request(`${gw.url}/__dev__/events${query}`, { agent: false });
  const opened = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('end', () => {
        ended = true;
        wake();
      });
      res.on('error', () => {});
      resolve();
    });
    req.on('error', reject);
  });
  req.end();
  const until = (check: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within 2000 ms`)), 2_000);
      wake = () => {
        if (!check()) return;
        clearTimeout(timer);
        wake = () => {};
        resolve();
      };
      wake();
    });
  const stream = {
    events,
    comments,
    opened,
    get status() {
      return status;
    },
    names: () => events.map((e) => e.event),
    /** Resolves once an event of `name` matching `predicate` arrived. */
    waitFor: async (
      name: string,
      predicate: (data: Record<string, unknown>) => boolean = () => true,
    ) => {
      const find = () => events.find((e) => e.event === name && predicate(e.data));
      await until(() => find() !== undefined, `'${name}' event`);
      return find()!.data;
    },
    ended: () => until(() => ended, 'end of stream'),
    nextComment: () => {
      const seen = comments.length;
      return until(() => comments.length > seen, 'comment');
    },
    close: () => req.destroy(),
  };
  streams.push(stream);
  return stream;
}

async function neuron(neuronId: string, capabilities = [echo]): Promise<SseStream> {
  const { stream } = await connect(gw.url, neuronId, capabilities, { token: TOKEN });
  streams.push(stream);
  return stream;
}

describe('GET /__dev__/health', () => {
  it('answers ok with the SDK version, the gateway URL and its start time, without a token', async () => {
    await start();
    const answer = await api('GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      ok: true,
      version: SDK_VERSION,
      url: gw.url,
      startedAt: gw.startedAt,
    });
    expect(Math.abs(gw.startedAt - Date.now())).toBeLessThan(10_000);
  });

  it('leaves the protocol routes behind the token', async () => {
    await start();
    expect((await post(gw.url, 'register', {})).status).toBe(401);
  });
});

describe('POST /__dev__/tasks', () => {
  it('queues the task and says that no neuron serves its type yet', async () => {
    await start();
    const answer = await api('POST', '/tasks', { capabilityType: 'examples/echo' });
    expect(answer.status).toBe(201);
    const { task, servedBy } = answer.json as { task: TaskRecord; servedBy: number };
    expect(servedBy).toBe(0);
    expect(task).toMatchObject({ taskId: 't-1', state: 'pending', input: null, attempts: 0 });
    expect(gw.task('t-1')?.state).toBe('pending');
  });

  it('counts the neurons whose capability and scope admit the task', async () => {
    await start();
    await neuron('n-any', [echo]);
    await neuron('n-alice', [{ ...echo, scope: { onBehalfOf: 'alice' } }]);
    const submit = async (spec: object) =>
      (
        (await api('POST', '/tasks', { capabilityType: 'examples/echo', ...spec })).json as {
          servedBy: number;
        }
      ).servedBy;
    expect(await submit({})).toBe(1);
    expect(await submit({ onBehalfOf: 'alice' })).toBe(2);
    expect(await submit({ onBehalfOf: 'bob' })).toBe(1);
  });

  it('passes every TaskSpec field through', async () => {
    await start();
    const spec = {
      capabilityType: 'acme/tools/echo.v2',
      input: { text: 'hi' },
      onBehalfOf: 'alice',
      taskId: 'my-task',
      workflowId: 'wf-1',
      leaseTtlMs: 1_000,
      maxAttempts: 5,
    };
    const answer = await api('POST', '/tasks', spec);
    const { capabilityType, ...rest } = spec;
    expect((answer.json as { task: TaskRecord }).task).toMatchObject({ capabilityType, ...rest });
  });

  it.each([
    ['a body that is not JSON', '{nope', 'INVALID_JSON', /not valid JSON/],
    ['a missing capabilityType', { input: 1 }, 'INVALID_REQUEST', /capabilityType is required/],
    [
      'a malformed capabilityType',
      { capabilityType: 'echo' },
      'INVALID_REQUEST',
      /'echo' needs at least two '\/'-separated segments/,
    ],
    [
      'an unknown field',
      { capabilityType: 'a/b', capability: 'x' },
      'INVALID_REQUEST',
      /'capability'/,
    ],
    ['a bad leaseTtlMs', { capabilityType: 'a/b', leaseTtlMs: 0 }, 'INVALID_REQUEST', /leaseTtlMs/],
    [
      'an empty onBehalfOf',
      { capabilityType: 'a/b', onBehalfOf: '' },
      'INVALID_REQUEST',
      /onBehalfOf/,
    ],
    ['an array', [1], 'INVALID_REQUEST', /must be a JSON object/],
  ])('answers 400 to %s, saying what to fix', async (_, body, code, message) => {
    await start();
    const answer = await api('POST', '/tasks', body);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: { code, message: expect.stringMatching(message) } });
    expect(gw.tasks()).toEqual([]);
  });

  it('answers 409 to a taskId already taken', async () => {
    await start();
    await api('POST', '/tasks', { capabilityType: 'a/b', taskId: 'x' });
    const answer = await api('POST', '/tasks', { capabilityType: 'a/b', taskId: 'x' });
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: { code: 'TASK_EXISTS' } });
  });
});

describe('tasks', () => {
  it('lists them in submission order and gets one by id', async () => {
    await start();
    gw.submitTask({ capabilityType: 'a/b', input: 1 });
    gw.submitTask({ capabilityType: 'a/c', input: 2 });
    const list = await api('GET', '/tasks');
    expect((list.json as TaskRecord[]).map((t) => t.taskId)).toEqual(['t-1', 't-2']);
    const one = await api('GET', '/tasks/t-2');
    expect(one.json).toMatchObject({ taskId: 't-2', capabilityType: 'a/c', input: 2 });
  });

  it('answers 404 TASK_NOT_FOUND to an unknown id', async () => {
    await start();
    for (const answer of [await api('GET', '/tasks/t-9'), await api('POST', '/tasks/t-9/cancel')]) {
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({
        error: { code: 'TASK_NOT_FOUND', message: expect.stringContaining('no task t-9') },
      });
    }
  });

  it('cancels a pending task at once, and a leased one through its neuron', async () => {
    await start();
    gw.submitTask({ capabilityType: 'a/b', input: 1 });
    const pending = await api('POST', '/tasks/t-1/cancel', { reason: 'changed my mind' });
    expect(pending.json).toMatchObject({
      state: 'cancelled',
      outcome: { type: 'cancelled', reason: 'changed my mind' },
    });
    const stream = await neuron('n1');
    gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    await stream.next('lease');
    const leased = await api('POST', '/tasks/t-2/cancel', {});
    expect(leased.json).toMatchObject({ state: 'leased', cancelRequested: {} });
    expect((await stream.next('cancel')).frame).toMatchObject({ type: 'cancel' });
  });

  it('refuses a cancel reason that is not a string', async () => {
    await start();
    gw.submitTask({ capabilityType: 'a/b', input: 1 });
    const answer = await api('POST', '/tasks/t-1/cancel', { reason: 5 });
    expect(answer.status).toBe(400);
    expect(gw.task('t-1')?.state).toBe('pending');
  });
});

describe('neurons', () => {
  it('lists them, revokes a capability from every neuron serving it', async () => {
    await start();
    const s1 = await neuron('n1');
    const s2 = await neuron('n2');
    const list = await api('GET', '/neurons');
    expect((list.json as Array<{ neuronId: string }>).map((n) => n.neuronId)).toEqual(['n1', 'n2']);
    const answer = await api('POST', '/capabilities/revoke', {
      capabilityType: 'examples/echo',
      reason: 'maintenance',
    });
    expect(answer.json).toEqual({ revoked: ['n1', 'n2'] });
    for (const stream of [s1, s2]) {
      expect((await stream.next('capability-revoked')).frame).toEqual({
        type: 'capability-revoked',
        capabilityType: 'examples/echo',
        reason: 'maintenance',
      });
    }
    const again = await api('POST', '/capabilities/revoke', { capabilityType: 'examples/echo' });
    expect(again.status).toBe(404);
    expect(again.json).toMatchObject({ error: { code: 'NOT_SERVED' } });
  });

  it('revokes from one neuron when neuronId is given', async () => {
    await start();
    await neuron('n1');
    await neuron('n2');
    const answer = await api('POST', '/capabilities/revoke', {
      capabilityType: 'examples/echo',
      neuronId: 'n2',
    });
    expect(answer.json).toEqual({ revoked: ['n2'] });
    const unknown = await api('POST', '/capabilities/revoke', {
      capabilityType: 'examples/echo',
      neuronId: 'n9',
    });
    expect(unknown.json).toMatchObject({
      error: { code: 'NOT_SERVED', message: expect.stringContaining('neuron n9 does not serve') },
    });
  });

  it('disconnects a neuron with a disconnect frame, and 404s an unknown one', async () => {
    await start();
    const stream = await neuron('n1');
    const answer = await api('POST', '/neurons/n1/disconnect', {
      reason: 'bye',
      reconnectAfterMs: 10,
    });
    expect(answer.json).toEqual({ disconnected: 'n1' });
    expect((await stream.next('disconnect')).frame).toEqual({
      type: 'disconnect',
      reason: 'bye',
      reconnectAfterMs: 10,
    });
    await stream.closed;
    const unknown = await api('POST', '/neurons/n1/disconnect');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'NEURON_NOT_FOUND' } });
    const bad = await api('POST', '/neurons/n1/disconnect', { reconnectAfterMs: -1 });
    expect(bad.status).toBe(400);
  });
});

describe('routing', () => {
  it('answers 404 to an unknown dev route and 405 to a wrong method', async () => {
    await start();
    const unknown = await api('GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const wrong = await api('DELETE', '/tasks');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET');
  });

  it('is absent with devApi: false, and never recorded in gw.requests', async () => {
    await start();
    await api('GET', '/health');
    expect(gw.requests).toEqual([]);
    await gw.close();
    await start({ devApi: false });
    expect((await api('GET', '/health')).status).toBe(404);
  });
});

describe('GET /__dev__/events', () => {
  it('streams registrations, leases, progress and every task change', async () => {
    await start();
    const events = follow();
    await events.opened;
    expect(events.status).toBe(200);
    const stream = await neuron('n1');
    await api('POST', '/tasks', { capabilityType: 'examples/echo', input: 'hi' });
    const lease = (await stream.next('lease')).frame as unknown as { leaseId: string };
    const frame = { neuronId: 'n1', leaseId: lease.leaseId, taskId: 't-1' };
    await post(gw.url, 'progress', { type: 'progress', ...frame, percent: 50 }, { token: TOKEN });
    await post(gw.url, 'ack', { type: 'ack', ...frame, output: 'hi' }, { token: TOKEN });
    await events.waitFor('task:settled');
    expect(events.names()).toEqual([
      'stream:open',
      'registered',
      'task',
      'task',
      'lease',
      'task',
      'progress',
      'task',
      'task:settled',
    ]);
    expect(events.events.filter((e) => e.event === 'task').map((e) => e.data.state)).toEqual([
      'pending',
      'leased',
      'leased',
      'acked',
    ]);
    expect(await events.waitFor('progress')).toMatchObject({
      taskId: 't-1',
      update: { percent: 50 },
    });
  });

  it('with ?taskId, sends that task now and then only its events', async () => {
    await start();
    gw.submitTask({ capabilityType: 'examples/echo', input: 1 });
    gw.submitTask({ capabilityType: 'examples/echo', input: 2 });
    const events = follow('?taskId=t-2');
    expect(await events.waitFor('task')).toMatchObject({ taskId: 't-2', state: 'pending' });
    await neuron('n1');
    gw.cancelTask('t-1');
    gw.cancelTask('t-2');
    await events.waitFor('task:settled');
    expect(events.events.every((e) => e.data.taskId === 't-2')).toBe(true);
    const unknown = await api('GET', '/events?taskId=t-9');
    expect(unknown.status).toBe(404);
  });

  it('pings at the ping interval', async () => {
    await start({ pingIntervalMs: 20 });
    const events = follow();
    await events.nextComment();
    expect(events.comments[0]).toBe('ping');
  });

  it('ends when the gateway closes, leaving no socket or timer behind', async () => {
    const alive = new Map<number, string>();
    const hook = createHook({
      init: (id, type) => {
        if (['Timeout', 'TCPWRAP', 'TCPSERVERWRAP'].includes(type)) alive.set(id, type);
      },
      destroy: (id) => alive.delete(id),
    }).enable();
    await start({ pingIntervalMs: 5 });
    const events = follow();
    await events.opened;
    await events.nextComment();
    await gw.close();
    await events.ended();
    // What existed at close must go; the poll's own timers come later and do not count.
    const atClose = [...alive.keys()];
    await expect.poll(() => atClose.filter((id) => alive.has(id))).toEqual([]);
    hook.disable();
  });
});
