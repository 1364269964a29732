/**
 * `HttpTransport` as a browser build runs it: the `#platform/http` module swapped for its web
 * variant (what every bundler condition but `node` picks), so the default client is the global
 * WHATWG `fetch` and the stream is read from its `ReadableStream`. Node 20's global fetch stands
 * in for the browser's.
 */
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, GatewayStatusError } from '../../src/errors.js';
import { HttpTransport } from '../../src/transport/http-transport.js';
import { heartbeat, makeTransport } from './recorder.js';
import { sendError, useTestServer } from './test-server.js';

vi.mock('#platform/http', () => import('../../src/transport/platform-web.js'));

describe('HttpTransport on the web platform (fetch, ReadableStream)', () => {
  const server = useTestServer();

  it('calls the global fetch for the stream and every POST', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    // An event split across chunks, a multi-byte character split across them too.
    const bytes = new TextEncoder().encode('id: 7\ndata: {"type":"cancel","leaseId":"é-1"}\n\n');
    stream.writeBytes(bytes.slice(0, 40));
    stream.writeBytes(bytes.slice(40));
    const [frame] = await recorder.waitFor('frame');
    expect(frame).toEqual({ kind: 'frame', frame: { type: 'cancel', leaseId: 'é-1' }, id: '7' });
    await expect(transport.post('heartbeat', heartbeat)).resolves.toBeUndefined();
    expect(fetchSpy.mock.calls.map(([url, init]) => [String(url), init?.method])).toEqual([
      [`${server.url}/neuron/events?neuronId=worker%201%2Fa`, 'GET'],
      [`${server.url}/neuron/heartbeat`, 'POST'],
    ]);
    stream.end();
    expect(await recorder.waitFor('close')).toEqual([{ kind: 'close', reason: 'stream ended' }]);
    await transport.close();
    fetchSpy.mockRestore();
  });

  it('applies the 401 rule and reports refusals as on undici', async () => {
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      if (calls === 1) sendError(res, 401, 'UNAUTHORIZED', 'expired');
      else sendError(res, 409, 'LEASE_NOT_HELD', 'gone', { 'retry-after': '1' });
    });
    const { transport, auth } = makeTransport(server.url);
    const error = await transport.post('heartbeat', heartbeat).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStatusError);
    expect(error).toMatchObject({ status: 409, gatewayCode: 'LEASE_NOT_HELD', retryAfterMs: 1000 });
    expect(auth.calls).toBe(2);
    await transport.close();
  });

  it('refuses an undici dispatcher: there is no undici outside Node', () => {
    const dispatcher = { dispatch: () => true };
    expect(
      () =>
        new HttpTransport({ gatewayUrl: server.url, neuronId: 'n', auth: () => 't', dispatcher }),
    ).toThrow(ConfigError);
  });
});
