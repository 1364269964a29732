import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  AuthCallbackError,
  GatewayStatusError,
  NetworkError,
  NeuronError,
  RequestTimeoutError,
} from '../../src/errors.js';
import type { AckFrame } from '../../src/protocol/frames.js';
import { HttpTransport } from '../../src/transport/http-transport.js';
import { freePort } from '../support/ports.js';
import { makeTransport } from './recorder.js';
import { sendError, useTestServer } from './test-server.js';

const ack: AckFrame = {
  type: 'ack',
  neuronId: 'worker 1/a',
  leaseId: 'l-1',
  taskId: 't-1',
  output: { ok: true },
  durationMs: 3,
};

describe('HttpTransport.post', () => {
  const server = useTestServer();

  it('resolves with the parsed JSON body of a 2xx answer', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"leases":[{"leaseId":"l-1","expiresAt":"2026-01-01T12:00:40.000Z"}],"lost":[]}');
    });
    const { transport } = makeTransport(server.url);
    await expect(transport.post('ack', ack)).resolves.toEqual({
      leases: [{ leaseId: 'l-1', expiresAt: '2026-01-01T12:00:40.000Z' }],
      lost: [],
    });
    await transport.close();
  });

  it('resolves with undefined when the 2xx body is empty or not JSON', async () => {
    let answer = '';
    server.handle((_req, res) => res.writeHead(202).end(answer));
    const { transport } = makeTransport(server.url);
    await expect(transport.post('ack', ack)).resolves.toBeUndefined();
    answer = 'accepted';
    await expect(transport.post('ack', ack)).resolves.toBeUndefined();
    await transport.close();
  });

  it('retries once at once with a fresh token after a 401', async () => {
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      if (calls === 1) sendError(res, 401, 'UNAUTHORIZED', 'token expired');
      else res.writeHead(202).end();
    });
    const { transport, auth } = makeTransport(server.url);
    let authRejected = 0;
    transport.subscribe({ onAuthRejected: () => authRejected++ });
    await expect(transport.post('ack', ack)).resolves.toBeUndefined();
    expect(server.requests.map((req) => req.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(auth.calls).toBe(2);
    expect(authRejected).toBe(0);
    await transport.close();
  });

  it('escalates a second consecutive 401 through onAuthRejected and rejects with it', async () => {
    server.handle((_req, res) => sendError(res, 401, 'UNAUTHORIZED', 'token rejected'));
    const { transport, auth } = makeTransport(server.url);
    let authRejected = 0;
    transport.subscribe({ onAuthRejected: () => authRejected++ });
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStatusError);
    expect(error).toMatchObject({ status: 401, gatewayCode: 'UNAUTHORIZED', path: 'ack' });
    expect(server.requests).toHaveLength(2);
    expect(auth.calls).toBe(2);
    expect(authRejected).toBe(1);
    await transport.close();
  });

  it('turns a non-2xx answer into a GatewayStatusError with code, message and Retry-After seconds', async () => {
    server.handle((_req, res) =>
      sendError(res, 429, 'RATE_LIMITED', 'slow down', { 'retry-after': '3' }),
    );
    const { transport } = makeTransport(server.url);
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStatusError);
    expect(error).toMatchObject({
      status: 429,
      gatewayCode: 'RATE_LIMITED',
      gatewayMessage: 'slow down',
      retryAfterMs: 3000,
      path: 'ack',
    });
    expect(server.requests).toHaveLength(1);
    await transport.close();
  });

  it('reads a Retry-After HTTP-date as the time left until then', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    server.handle((_req, res) => sendError(res, 503, 'BUSY', 'later', { 'retry-after': at }));
    const { transport } = makeTransport(server.url);
    const error = (await transport
      .post('ack', ack)
      .catch((err: unknown) => err)) as GatewayStatusError;
    expect(error.status).toBe(503);
    expect(error.retryAfterMs).toBeGreaterThan(55_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    await transport.close();
  });

  it('does not retry a 5xx by itself', async () => {
    server.handle((_req, res) => res.writeHead(500).end('oops'));
    const { transport } = makeTransport(server.url);
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 500, gatewayCode: undefined });
    expect(server.requests).toHaveLength(1);
    await transport.close();
  });

  it('rejects with a NetworkError when nothing listens', async () => {
    const { transport } = makeTransport(`http://127.0.0.1:${await freePort()}`);
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'NEURON_ERR_NETWORK', path: 'ack' });
    await transport.close();
  });

  it('rejects with a RequestTimeoutError when the answer does not come within requestTimeoutMs', async () => {
    server.handle(() => {});
    const { transport } = makeTransport(server.url, { requestTimeoutMs: 50 });
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ path: 'ack', code: 'NEURON_ERR_REQUEST_TIMEOUT' });
    await transport.close();
  });

  it('counts a slow auth call against the same requestTimeoutMs: the two together never take longer', async () => {
    // Each alone fits in the 300 ms; together they do not.
    server.handle((_req, res) => {
      setTimeout(() => res.writeHead(200).end(), 200).unref();
    });
    const transport = new HttpTransport({
      gatewayUrl: server.url,
      neuronId: 'n',
      requestTimeoutMs: 300,
      auth: () => new Promise<string>((resolve) => setTimeout(() => resolve('t'), 200)),
    });
    const started = performance.now();
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as Error).message).toBe('no answer to ack within 300 ms');
    expect(elapsed).toBeLessThan(390);
    await transport.close();
  });

  it('times out a body that stops halfway', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"leases":');
    });
    const { transport } = makeTransport(server.url, { requestTimeoutMs: 50 });
    await expect(transport.post('ack', ack)).rejects.toBeInstanceOf(RequestTimeoutError);
    await transport.close();
  });

  it('rejects with an AuthCallbackError that never shows the token when auth fails', async () => {
    const cases: Array<() => unknown> = [
      () => {
        throw new Error('vault unreachable');
      },
      () => '',
      () => 42,
      () => 'secret-token\r\nx-injected: 1',
      // The same, from a promise, and from a thenable whose `then` cannot even be read.
      async () => {
        throw new Error('vault unreachable');
      },
      async () => '',
      async () => 'secret-token\r\nx-injected: 1',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point here
        get then(): never {
          throw new Error('secret-token');
        },
      }),
    ];
    for (const auth of cases) {
      const transport = new HttpTransport({
        gatewayUrl: server.url,
        neuronId: 'n',
        auth: auth as () => string,
      });
      const error = await transport.post('ack', ack).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(AuthCallbackError);
      expect((error as Error).message).not.toContain('secret-token');
      await transport.close();
    }
    expect(server.requests).toHaveLength(0);
  });

  it('uses a given dispatcher and leaves it open on close()', async () => {
    const dispatcher = new Agent();
    const first = makeTransport(server.url, { dispatcher }).transport;
    await first.post('ack', ack);
    await first.close();
    const second = makeTransport(server.url, { dispatcher }).transport;
    await expect(second.post('ack', ack)).resolves.toBeUndefined();
    await second.close();
    await dispatcher.close();
    expect(server.requests).toHaveLength(2);
  });

  it('refuses posts after close() with an error that says so', async () => {
    const { transport } = makeTransport(server.url);
    await transport.close();
    const error = await transport.post('ack', ack).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NeuronError);
    expect(error).toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
    expect((error as Error).message).toMatch(/after close/);
  });
});
