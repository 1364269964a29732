/**
 * A tiny scripted gateway on 127.0.0.1, port 0: records every request and lets a test answer
 * it. By default every GET opens an event stream (200, text/event-stream) and every POST gets a
 * 202.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stream the server holds open: the test writes raw SSE text to it. */
export interface SseConnection {
  request: RecordedRequest;
  write(raw: string): void;
  writeBytes(bytes: Uint8Array): void;
  /** Ends the response cleanly. */
  end(): void;
  /** Breaks the connection mid-stream. */
  destroy(): void;
}

/** `fallback()` answers as the default handler would (a stream for GET, 202 for POST). */
export type Handler = (req: RecordedRequest, res: ServerResponse, fallback: () => void) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the handler for the requests that follow. */
  handle(handler: Handler): void;
  /** The next stream opened through `openSse` (or one already opened and not yet taken). */
  nextStream(): Promise<SseConnection>;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const opened: SseConnection[] = [];
  const waiting: Array<(connection: SseConnection) => void> = [];
  const requests: RecordedRequest[] = [];

  const openSse = (req: RecordedRequest, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const connection: SseConnection = {
      request: req,
      write: (raw) => res.write(raw),
      writeBytes: (bytes) => res.write(bytes),
      end: () => res.end(),
      destroy: () => res.destroy(),
    };
    const waiter = waiting.shift();
    if (waiter) waiter(connection);
    else opened.push(connection);
  };

  const fallback = (req: RecordedRequest, res: ServerResponse): void => {
    if (req.method === 'GET') openSse(req, res);
    else res.writeHead(202).end();
  };
  let handler: Handler = (req, res) => fallback(req, res);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      handler(recorded, res, () => fallback(recorded, res));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      handler = next;
    },
    nextStream() {
      const ready = opened.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

/**
 * A fresh server for each test of the calling suite, closed after it. The object returned stands
 * for whichever server the running test has.
 */
export function useTestServer(): TestServer {
  let server: TestServer | undefined;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server?.close());
  const current = (): TestServer => {
    if (!server) throw new Error('useTestServer(): no test is running');
    return server;
  };
  return {
    get url() {
      return current().url;
    },
    get requests() {
      return current().requests;
    },
    handle: (handler) => current().handle(handler),
    nextStream: () => current().nextStream(),
    close: () => current().close(),
  };
}

/** `{ "error": { code, message } }` with `status` and extra headers. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}
