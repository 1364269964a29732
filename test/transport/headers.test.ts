import { describe, expect, it } from 'vitest';
import type { NeuronLogger } from '../../src/logger.js';
import { USER_AGENT } from '../../src/version.js';
import { heartbeat, makeTransport } from './recorder.js';
import { sendError, useTestServer } from './test-server.js';

describe('HttpTransport headers', () => {
  const server = useTestServer();

  it('opens the stream with a fresh token, Accept: text/event-stream and the url-encoded neuronId', async () => {
    const { transport, auth } = makeTransport(server.url);
    await transport.start();
    const open = (await server.nextStream()).request;
    expect(open.url).toBe('/neuron/events?neuronId=worker%201%2Fa');
    expect(open.headers.authorization).toBe('Bearer token-1');
    expect(open.headers.accept).toBe('text/event-stream');
    expect(open.headers['user-agent']).toBe(USER_AGENT);
    expect(open.headers['last-event-id']).toBeUndefined();
    expect(auth.calls).toBe(1);
    await transport.close();
  });

  it('calls auth afresh for every POST and sends JSON headers', async () => {
    const { transport, auth } = makeTransport(server.url);
    await transport.post('heartbeat', heartbeat);
    await transport.post('heartbeat', heartbeat);
    const [first, second] = server.requests;
    expect(auth.calls).toBe(2);
    expect(first?.headers.authorization).toBe('Bearer token-1');
    expect(second?.headers.authorization).toBe('Bearer token-2');
    expect(second?.method).toBe('POST');
    expect(second?.url).toBe('/neuron/heartbeat');
    expect(second?.headers.accept).toBe('application/json');
    expect(second?.headers['content-type']).toBe('application/json');
    expect(second?.headers['user-agent']).toBe(USER_AGENT);
    expect(JSON.parse(second?.body ?? '')).toEqual(heartbeat);
    await transport.close();
  });

  it('sends Last-Event-ID on a re-open with the id of the last event received before', async () => {
    const { transport, auth, recorder } = makeTransport(server.url);
    await transport.start();
    const first = await server.nextStream();
    first.write('id: 7\ndata: {"type":"cancel","leaseId":"l-1"}\n\n');
    first.write('data: {"type":"cancel","leaseId":"l-2"}\n\n');
    await recorder.waitFor('frame', 2);
    first.end();
    await recorder.waitFor('close');

    await transport.start();
    const second = await server.nextStream();
    expect(second.request.headers['last-event-id']).toBe('7');
    expect(second.request.headers.authorization).toBe('Bearer token-2');
    expect(auth.calls).toBe(2);
    await transport.close();
  });

  it('keeps the base path of gatewayUrl', async () => {
    const { transport } = makeTransport(`${server.url}/base/`);
    await transport.post('heartbeat', heartbeat);
    await transport.start();
    await server.nextStream();
    expect(server.requests.map((req) => req.url)).toEqual([
      '/base/neuron/heartbeat',
      '/base/neuron/events?neuronId=worker%201%2Fa',
    ]);
    await transport.close();
  });

  it('logs at debug level and never logs the token', async () => {
    const lines: unknown[] = [];
    const capture = (level: string) => (meta: Record<string, unknown>, msg?: string) =>
      lines.push({ level, meta, msg });
    const logger: NeuronLogger = {
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
    };
    let posts = 0;
    server.handle((_req, res, fallback) => {
      if (_req.method === 'POST' && ++posts === 1) sendError(res, 401, 'UNAUTHORIZED', 'no');
      else fallback();
    });
    const { transport } = makeTransport(server.url, { logger });
    await transport.post('heartbeat', heartbeat);
    await transport.start();
    (await server.nextStream()).write('data: nope\n\n');
    await transport.close();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => (line as { level: string }).level === 'debug')).toBe(true);
    expect(JSON.stringify(lines)).not.toMatch(/token-|Bearer/);
  });
});
