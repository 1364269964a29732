import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '../../src/dev-gateway/index.js';
import { connect, echo, openStream, post, registerFrame } from './sse-client.js';

let gw: DevGateway;
async function start(options: DevGatewayOptions = {}): Promise<DevGateway> {
  gw = await createDevGateway({ reaperIntervalMs: 10, ...options });
  return gw;
}
afterEach(() => gw?.close());

describe('the SSE stream', () => {
  it('listens on loopback with a url that has no trailing slash', async () => {
    await start();
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers the open with 200 text/event-stream and no-cache', async () => {
    await start();
    const stream = await openStream(gw.url, 'n1');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-cache');
    expect(gw.neurons()).toMatchObject([{ neuronId: 'n1', streamOpen: true, dispatchable: false }]);
    stream.close();
  });

  it('sends a ping comment every pingIntervalMs', async () => {
    await start({ pingIntervalMs: 20 });
    const stream = await openStream(gw.url, 'n1');
    expect(await stream.nextComment()).toBe('ping');
    expect(await stream.nextComment()).toBe('ping');
    stream.close();
  });

  it('refuses an open without a neuronId with 400 INVALID_FRAME', async () => {
    await start();
    const stream = await openStream(gw.url, undefined);
    expect(stream.status).toBe(400);
    expect(JSON.parse(stream.body)).toEqual({
      error: { code: 'INVALID_FRAME', message: expect.any(String) },
    });
  });

  it('replaces the open stream of a neuron that opens another', async () => {
    await start();
    const closed = gw.waitFor('stream:close');
    const first = await openStream(gw.url, 'n1');
    const second = await openStream(gw.url, 'n1');
    expect(await closed).toEqual({ neuronId: 'n1', reason: 'replaced' });
    await first.closed;
    expect(gw.neurons()).toMatchObject([{ neuronId: 'n1', streamOpen: true }]);
    second.close();
  });
});

describe('registration', () => {
  it('answers 202 and then sends a registered frame with a session and the capabilities', async () => {
    await start({ heartbeatIntervalMs: 1000 });
    const registered = gw.waitFor('registered');
    const { stream, registered: frame } = await connect(gw.url, 'n1');
    expect(frame).toEqual({
      type: 'registered',
      sessionId: expect.stringMatching(/^s-/),
      capabilities: [{ type: 'examples/echo', scope: 'any', concurrency: 1 }],
      heartbeatIntervalMs: 1000,
    });
    expect(stream.events[0]?.event).toBe('registered');
    expect(stream.events[0]?.id).toBeUndefined();
    expect(await registered).toMatchObject({ neuronId: 'n1', sessionId: frame.sessionId });
    expect(gw.neurons()[0]).toMatchObject({
      sessionId: frame.sessionId,
      dispatchable: true,
      capabilities: [{ type: 'examples/echo', concurrency: 1, held: 0, revoked: false }],
    });
    stream.close();
  });

  it('answers 409 NO_STREAM to a register without an open stream', async () => {
    await start();
    const answer = await post(gw.url, 'register', registerFrame('n1'));
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: { code: 'NO_STREAM' } });
  });

  it.each([
    ['a type that does not match the path', { ...registerFrame('n1'), type: 'ack' }],
    ['no neuronId', { ...registerFrame('n1'), neuronId: undefined }],
    ['capabilities that are not an array', { ...registerFrame('n1'), capabilities: {} }],
    ['a capability type with one segment', registerFrame('n1', [{ ...echo, type: 'echo' }])],
    ['a capability type with a space', registerFrame('n1', [{ ...echo, type: 'a/b c' }])],
    ['a bad scope', registerFrame('n1', [{ ...echo, scope: { user: 'x' } as never }])],
    ['a concurrency of 0', registerFrame('n1', [{ ...echo, concurrency: 0 }])],
    ['a fractional concurrency', registerFrame('n1', [{ ...echo, concurrency: 1.5 }])],
    ['the same type twice', registerFrame('n1', [echo, echo])],
  ])('answers 400 INVALID_FRAME to a register with %s', async (_, body) => {
    await start();
    const stream = await openStream(gw.url, 'n1');
    const answer = await post(gw.url, 'register', body);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: { code: 'INVALID_FRAME' } });
    stream.close();
  });

  it('answers 400 INVALID_FRAME to a body that is not JSON', async () => {
    await start();
    const answer = await post(gw.url, 'heartbeat', '{not json');
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: { code: 'INVALID_FRAME' } });
  });

  it('accepts capability types with a name and a variant, and user scopes', async () => {
    await start();
    const caps = [
      { type: 'acme/tools/resize.fast', scope: 'any' as const, concurrency: 2 },
      { type: 'acme_1/pkg-2', scope: { onBehalfOf: 'user:1' }, concurrency: 1 },
    ];
    const { stream, registered } = await connect(gw.url, 'n1', caps);
    expect(registered.capabilities).toEqual(caps);
    stream.close();
  });

  it('lists the capabilities capabilityPolicy refuses as rejected', async () => {
    await start({
      capabilityPolicy: (_, cap) =>
        cap.type.startsWith('core/')
          ? { code: 'NAMESPACE_FORBIDDEN', message: 'core is ours' }
          : undefined,
    });
    const core = { type: 'core/x', scope: 'any' as const, concurrency: 1 };
    const { stream, registered } = await connect(gw.url, 'n1', [echo, core]);
    expect(registered.capabilities.map((c) => c.type)).toEqual(['examples/echo']);
    expect(registered.rejected).toEqual([
      { type: 'core/x', code: 'NAMESPACE_FORBIDDEN', message: 'core is ours' },
    ]);
    stream.close();
  });

  it('answers 403 with the code registerPolicy gives', async () => {
    await start({
      registerPolicy: () => ({ code: 'CAPABILITY_PENDING_APPROVAL', message: 'wait' }),
    });
    const stream = await openStream(gw.url, 'n1');
    const answer = await post(gw.url, 'register', registerFrame('n1'));
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({
      error: { code: 'CAPABILITY_PENDING_APPROVAL', message: 'wait' },
    });
    stream.close();
  });
});

describe('requests', () => {
  it('answers 404 to an unknown path and 405 to the wrong method', async () => {
    await start();
    expect((await post(gw.url, 'teleport', {})).status).toBe(404);
    expect((await post(gw.url, 'events', {})).status).toBe(405);
    expect(gw.requests.map((r) => [r.path, r.status])).toEqual([
      ['unknown', 404],
      ['events', 405],
    ]);
  });

  it('answers 413 to a body over maxBodyBytes', async () => {
    await start({ maxBodyBytes: 64 });
    const answer = await post(gw.url, 'progress', { type: 'progress', pad: 'x'.repeat(100) });
    expect(answer.status).toBe(413);
  });

  it('records every request with its headers, parsed body and status', async () => {
    await start();
    const stream = await openStream(gw.url, 'n1', { lastEventId: '7' });
    await post(gw.url, 'register', registerFrame('n1'));
    const [open, register] = gw.requests;
    expect(open).toMatchObject({
      method: 'GET',
      path: 'events',
      neuronId: 'n1',
      status: 200,
      headers: { accept: 'text/event-stream', 'last-event-id': '7' },
    });
    expect(register).toMatchObject({
      method: 'POST',
      path: 'register',
      neuronId: 'n1',
      status: 202,
      body: registerFrame('n1'),
    });
    expect(gw.requestsTo('register')).toEqual([register]);
    stream.close();
  });
});

describe('authentication', () => {
  it('answers 401 UNAUTHORIZED to a missing or wrong token, on the stream and on POSTs', async () => {
    await start({ token: 'secret' });
    const bare = await openStream(gw.url, 'n1');
    expect(bare.status).toBe(401);
    expect(bare.headers['www-authenticate']).toBe('Bearer');
    const wrong = await post(gw.url, 'register', registerFrame('n1'), { token: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const { stream } = await connect(gw.url, 'n1', [echo], { token: 'secret' });
    expect(gw.requests.at(-1)?.headers.authorization).toBe('Bearer secret');
    stream.close();
  });

  it('asks acceptToken when given', async () => {
    const seen: string[] = [];
    await start({ acceptToken: (token) => seen.push(token) > 1 });
    expect((await openStream(gw.url, 'n1', { token: 'a' })).status).toBe(401);
    const stream = await openStream(gw.url, 'n1', { token: 'b' });
    expect(stream.status).toBe(200);
    expect(seen).toEqual(['a', 'b']);
    stream.close();
  });
});

describe('scripted faults', () => {
  it('answers the next requests to a path with the scripted status, then recovers', async () => {
    await start();
    gw.failNext('events', { status: 503, retryAfter: '2', times: 2 });
    const first = await openStream(gw.url, 'n1');
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('2');
    expect(JSON.parse(first.body)).toEqual({
      error: { code: 'UNAVAILABLE', message: 'injected fault' },
    });
    expect((await openStream(gw.url, 'n1')).status).toBe(503);
    const third = await openStream(gw.url, 'n1');
    expect(third.status).toBe(200);
    third.close();
  });

  it('uses the code PROTOCOL.md gives the status on that path unless told', async () => {
    await start();
    gw.failNext('heartbeat', { status: 404 });
    gw.failNext('ack', { status: 410 });
    gw.failNext('register', { status: 403, code: 'SCOPE_FORBIDDEN', message: 'no' });
    const heartbeat = await post(gw.url, 'heartbeat', {});
    expect(heartbeat.json).toMatchObject({ error: { code: 'NO_SESSION' } });
    expect((await post(gw.url, 'ack', {})).json).toMatchObject({
      error: { code: 'LEASE_NOT_HELD' },
    });
    expect((await post(gw.url, 'register', {})).json).toEqual({
      error: { code: 'SCOPE_FORBIDDEN', message: 'no' },
    });
  });

  it('forgets every scripted answer on clearFaults', async () => {
    await start();
    gw.failNext('register', { status: 500, times: 5 });
    gw.clearFaults();
    expect((await post(gw.url, 'register', registerFrame('n1'))).status).toBe(409);
  });
});
