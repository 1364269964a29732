import { beforeEach, describe, expect, it } from 'vitest';
import { GatewayStatusError, NetworkError } from '../../src/errors.js';
import type { ProgressFrame } from '../../src/protocol/frames.js';
import { makeTransport } from './recorder.js';
import { sendError, useTestServer } from './test-server.js';

const progress: ProgressFrame = {
  type: 'progress',
  neuronId: 'worker 1/a',
  leaseId: 'l-1',
  taskId: 't-1',
  percent: 50,
  sentAt: '2026-01-01T12:00:00.000Z',
};

describe('HttpTransport with the fetch option', () => {
  const server = useTestServer();
  let fetched: Array<{ url: string; method: string | undefined }>;
  const spyFetch: typeof fetch = (input, init) => {
    fetched.push({ url: String(input), method: init?.method });
    // The server closes each connection, so the global dispatcher keeps no socket around.
    return fetch(input, {
      ...init,
      headers: { ...(init?.headers as object), connection: 'close' },
    });
  };

  beforeEach(() => {
    fetched = [];
  });

  it('opens the stream and reads frames through the given fetch', async () => {
    const { transport, recorder } = makeTransport(server.url, { fetch: spyFetch });
    await transport.start();
    const stream = await server.nextStream();
    expect(stream.request.headers.authorization).toBe('Bearer token-1');
    expect(stream.request.headers.accept).toBe('text/event-stream');
    stream.write('id: 1\ndata: {"type":"cancel","leaseId":"l-1"}\n\nretry: 100\n\n');
    const [frame] = await recorder.waitFor('frame');
    expect(frame).toEqual({ kind: 'frame', frame: { type: 'cancel', leaseId: 'l-1' }, id: '1' });
    await recorder.waitFor('retry');
    stream.end();
    expect(await recorder.waitFor('close')).toEqual([{ kind: 'close', reason: 'stream ended' }]);
    expect(fetched).toEqual([
      { url: `${server.url}/neuron/events?neuronId=worker%201%2Fa`, method: 'GET' },
    ]);
    await transport.close();
  });

  it('posts through the given fetch, with the 401 rule and status errors', async () => {
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      if (calls === 1) sendError(res, 401, 'UNAUTHORIZED', 'expired');
      else if (calls === 2) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else sendError(res, 410, 'LEASE_NOT_HELD', 'gone');
    });
    const { transport } = makeTransport(server.url, { fetch: spyFetch });
    await expect(transport.post('progress', progress)).resolves.toEqual({});
    const error = await transport.post('progress', progress).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStatusError);
    expect(error).toMatchObject({ status: 410, gatewayCode: 'LEASE_NOT_HELD' });
    expect(server.requests.map((req) => req.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3',
    ]);
    expect(fetched.map(({ method }) => method)).toEqual(['POST', 'POST', 'POST']);
    await transport.close();
  });

  it('stops a fetch stream without onClose', async () => {
    const { transport, recorder } = makeTransport(server.url, { fetch: spyFetch });
    await transport.start();
    await server.nextStream();
    await transport.stop();
    expect(transport.isConnected()).toBe(false);
    expect(recorder.of('close')).toEqual([]);
    await transport.close();
  });

  it('reports a fetch network failure as a NetworkError with the underlying cause', async () => {
    const failing: typeof fetch = () =>
      Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') }));
    const { transport } = makeTransport(server.url, { fetch: failing });
    const error = await transport.post('progress', progress).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    await transport.close();
  });
});
