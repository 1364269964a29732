/** Local HTTP servers for the examples' tests: 127.0.0.1, port 0, no network. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Every request, in arrival order. */
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export type Route = (req: ReceivedRequest, res: ServerResponse, raw: IncomingMessage) => void;

const live = new Set<TestServer>();

export async function startServer(route: Route): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const req = {
        method: raw.method ?? 'GET',
        url: raw.url ?? '/',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(req);
      route(req, res, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      live.delete(handle);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  live.add(handle);
  return handle;
}

/** A URL on a port nothing listens on: connecting to it is refused. */
export async function refusedUrl(): Promise<string> {
  const server = await startServer(() => {});
  await server.close();
  return server.url;
}

/** For `afterEach`: close what a failed test left open. */
export async function closeServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.close()));
}
