import { describe, expect, it } from 'vitest';
import {
  BadStreamError,
  FrameError,
  GatewayStatusError,
  NetworkError,
  RequestTimeoutError,
} from '../../src/errors.js';
import { HttpTransport } from '../../src/transport/http-transport.js';
import { countingAuth, makeTransport, record } from './recorder.js';
import { sendError, useTestServer } from './test-server.js';

const cancel = (leaseId: string): string => `{"type":"cancel","leaseId":"${leaseId}"}`;

describe('HttpTransport stream', () => {
  const server = useTestServer();

  it('resolves start() on a 200 event stream, after calling onOpen', async () => {
    const { transport, recorder } = makeTransport(server.url);
    expect(transport.isConnected()).toBe(false);
    await transport.start();
    expect(recorder.log).toEqual([{ kind: 'open' }]);
    expect(transport.isConnected()).toBe(true);
    await transport.close();
    expect(transport.isConnected()).toBe(false);
  });

  it('rejects start() with the status, code and Retry-After of a refused open', async () => {
    server.handle((_req, res) =>
      sendError(res, 403, 'FORBIDDEN', 'identity may not connect', { 'retry-after': '30' }),
    );
    const { transport, recorder } = makeTransport(server.url);
    const error = await transport.start().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayStatusError);
    expect(error).toMatchObject({
      status: 403,
      gatewayCode: 'FORBIDDEN',
      gatewayMessage: 'identity may not connect',
      retryAfterMs: 30_000,
      path: 'events',
    });
    expect(recorder.log).toEqual([]);
    expect(transport.isConnected()).toBe(false);
    await transport.close();
  });

  it('leaves a 401 on the open to the connection machine: no retry, one auth call', async () => {
    server.handle((_req, res) => sendError(res, 401, 'UNAUTHORIZED', 'expired'));
    const { transport, auth } = makeTransport(server.url);
    await expect(transport.start()).rejects.toMatchObject({ status: 401 });
    expect(auth.calls).toBe(1);
    expect(server.requests).toHaveLength(1);
    await transport.close();
  });

  it('rejects start() with a BadStreamError when a 200 is not an event stream', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'));
    const { transport } = makeTransport(server.url);
    await expect(transport.start()).rejects.toBeInstanceOf(BadStreamError);
    await transport.close();
  });

  it('rejects start() with a NetworkError when the connection fails', async () => {
    server.handle((_req, res) => res.socket?.destroy());
    const { transport } = makeTransport(server.url);
    await expect(transport.start()).rejects.toBeInstanceOf(NetworkError);
    await transport.close();
  });

  it('rejects start() with a RequestTimeoutError when the open gets no answer in time', async () => {
    server.handle(() => {});
    const { transport } = makeTransport(server.url, { requestTimeoutMs: 50 });
    await expect(transport.start()).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(transport.isConnected()).toBe(false);
    await transport.close();
  });

  it('cancels an open in progress on stop(), without onOpen or onClose', async () => {
    let received = (): void => {};
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    server.handle(() => received());
    const { transport, recorder } = makeTransport(server.url);
    const starting = transport.start().catch((err: unknown) => err);
    await arrived;
    await transport.stop();
    expect(await starting).toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
    expect(recorder.log).toEqual([]);
    await transport.close();
  });

  it('delivers valid frames with their event ids, and unknown types too', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.write(`id: e-1\nevent: cancel\ndata: ${cancel('l-1')}\n\n`);
    stream.write('data: {"type":"future-thing","x":1}\n\n');
    const frames = await recorder.waitFor('frame', 2);
    expect(frames).toEqual([
      { kind: 'frame', frame: { type: 'cancel', leaseId: 'l-1' }, id: 'e-1' },
      { kind: 'frame', frame: { type: 'future-thing', x: 1 }, id: undefined },
    ]);
    await transport.close();
  });

  it('reports bad frames through onError and goes on reading the stream', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.write('data: not json\n\n');
    stream.write('data: [1,2]\n\n');
    stream.write('data: {"kind":"lease"}\n\n');
    stream.write('data: {"type":"lease","leaseId":"l-1","capabilityType":"a/b","task":{}}\n\n');
    stream.write(`data: ${cancel('l-ok')}\n\n`);
    await recorder.waitFor('frame');
    const errors = recorder.of('error').map(({ error }) => error);
    expect(errors.every((error) => error instanceof FrameError)).toBe(true);
    expect(errors.map((error) => (error as FrameError).reason)).toEqual([
      'not-json',
      'not-object',
      'no-type',
      'missing-field',
    ]);
    expect(errors[3]?.message).toContain('lease frame lacks required field "task.taskId"');
    expect(recorder.of('frame')[0]?.frame).toEqual({ type: 'cancel', leaseId: 'l-ok' });
    expect(recorder.of('close')).toEqual([]);
    await transport.close();
  });

  it('joins multi-line data and reads LF, CRLF and CR line ends alike', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.write('data: {"type":"cancel",\ndata: "leaseId":"lf"}\n\n');
    stream.write('data: {"type":"cancel",\r\ndata: "leaseId":"crlf"}\r\n\r\n');
    stream.write('data: {"type":"cancel",\rdata: "leaseId":"cr"}\r\r');
    const frames = await recorder.waitFor('frame', 3);
    expect(frames.map(({ frame }) => frame)).toEqual([
      { type: 'cancel', leaseId: 'lf' },
      { type: 'cancel', leaseId: 'crlf' },
      { type: 'cancel', leaseId: 'cr' },
    ]);
    await transport.close();
  });

  it('treats a CRLF split across two chunks as one line end', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.write('data: {"type":"cancel",\r');
    await recorder.waitFor('activity');
    stream.write('\ndata: "leaseId":"split"}\r\n\r\n');
    const [frame] = await recorder.waitFor('frame');
    expect(frame?.frame).toEqual({ type: 'cancel', leaseId: 'split' });
    expect(recorder.of('error')).toEqual([]);
    await transport.close();
  });

  it('decodes a UTF-8 character split across two chunks', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    const bytes = Buffer.from(`data: {"type":"cancel","leaseId":"l-é"}\n\n`);
    const cut = bytes.indexOf(0xc3) + 1;
    stream.writeBytes(bytes.subarray(0, cut));
    await recorder.waitFor('activity');
    stream.writeBytes(bytes.subarray(cut));
    const [frame] = await recorder.waitFor('frame');
    expect(frame?.frame).toEqual({ type: 'cancel', leaseId: 'l-é' });
    await transport.close();
  });

  it('passes retry: on as a retry hint and counts comments as activity', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.write(': ping\n\n');
    await recorder.waitFor('activity');
    stream.write('retry: 2500\n\n');
    expect(await recorder.waitFor('retry')).toEqual([{ kind: 'retry', delayMs: 2500 }]);
    expect(recorder.of('frame')).toEqual([]);
    expect(recorder.of('error')).toEqual([]);
    await transport.close();
  });

  it('calls onClose once when the gateway ends the stream', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.write(`data: ${cancel('l-1')}\n\n`);
    stream.end();
    expect(await recorder.waitFor('close')).toEqual([{ kind: 'close', reason: 'stream ended' }]);
    expect(transport.isConnected()).toBe(false);
    await transport.stop();
    expect(recorder.of('close')).toHaveLength(1);
    await transport.close();
  });

  it('reports a broken connection as a network-error close', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    const stream = await server.nextStream();
    stream.destroy();
    const [close] = await recorder.waitFor('close');
    expect(close?.reason).toMatch(/^network error: /);
    await transport.close();
  });

  it('does not call onClose for a stop(), and can start again afterwards', async () => {
    const { transport, recorder } = makeTransport(server.url);
    await transport.start();
    await server.nextStream();
    await transport.stop();
    await transport.stop();
    expect(transport.isConnected()).toBe(false);
    await transport.start();
    const second = await server.nextStream();
    second.write(`data: ${cancel('l-2')}\n\n`);
    await recorder.waitFor('frame');
    expect(recorder.log.filter((entry) => entry.kind !== 'activity')).toEqual([
      { kind: 'open' },
      { kind: 'open' },
      { kind: 'frame', frame: { type: 'cancel', leaseId: 'l-2' }, id: undefined },
    ]);
    await transport.close();
  });

  it('keeps reading when a subscriber throws, and still calls the other subscribers', async () => {
    const transport = new HttpTransport({
      gatewayUrl: server.url,
      neuronId: 'n',
      auth: countingAuth(),
    });
    // Subscribed first, so a throw that stopped the loop would starve the recorder.
    transport.subscribe({
      onFrame: () => {
        throw new Error('subscriber bug');
      },
    });
    const recorder = record(transport);
    await transport.start();
    const stream = await server.nextStream();
    stream.write(`data: ${cancel('l-1')}\n\ndata: ${cancel('l-2')}\n\n`);
    expect(await recorder.waitFor('frame', 2)).toHaveLength(2);
    expect(transport.isConnected()).toBe(true);
    await transport.close();
  });

  it('refuses a second start() while a stream is open', async () => {
    const { transport } = makeTransport(server.url);
    await transport.start();
    await expect(transport.start()).rejects.toMatchObject({ code: 'NEURON_ERR_INVALID_STATE' });
    await transport.close();
  });
});
