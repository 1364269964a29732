import { createServer } from 'node:net';

/**
 * A loopback port free a moment ago: bound once, then released. Nothing listens on it (a client
 * finds it closed), and a server started next can take it.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
