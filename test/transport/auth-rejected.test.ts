/**
 * After a 401 the transport calls `auth({ rejected: true })`, so that a callback that caches
 * tokens returns another one; every other call is a plain `auth()`.
 */
import type { AuthRequest } from '@holokai/neuron-sdk';
import { afterEach, expect, it } from 'vitest';
import { HttpTransport } from '../../src/transport/http-transport.js';
import { sendError, useTestServer } from './test-server.js';

const server = useTestServer();
let transport: HttpTransport | undefined;
afterEach(() => transport?.close());

function recordingAuth(): {
  calls: Array<AuthRequest | undefined>;
  auth: (r?: AuthRequest) => string;
} {
  const calls: Array<AuthRequest | undefined> = [];
  return {
    calls,
    auth: (request) => {
      calls.push(request);
      return `tok-${calls.length}`;
    },
  };
}

const ack = {
  type: 'ack' as const,
  neuronId: 'n',
  leaseId: 'l-1',
  taskId: 't-1',
  output: null,
  durationMs: 1,
};

it('says the token was rejected when it retries a POST answered 401', async () => {
  const { calls, auth } = recordingAuth();
  transport = new HttpTransport({ gatewayUrl: server.url, neuronId: 'n', auth });
  let answered = 0;
  server.handle((_req, res, fallback) =>
    answered++ === 0 ? sendError(res, 401, 'UNAUTHORIZED', 'expired') : fallback(),
  );
  await transport.post('ack', ack);
  await transport.post('ack', ack);
  expect(calls).toEqual([undefined, { rejected: true }, undefined]);
});

it('says the token was rejected on the open that follows a 401 on the last one', async () => {
  const { calls, auth } = recordingAuth();
  transport = new HttpTransport({ gatewayUrl: server.url, neuronId: 'n', auth });
  let opens = 0;
  server.handle((_req, res, fallback) =>
    opens++ === 0 ? sendError(res, 401, 'UNAUTHORIZED', 'revoked') : fallback(),
  );
  await expect(transport.start()).rejects.toMatchObject({ status: 401 });
  await transport.start();
  expect(calls).toEqual([undefined, { rejected: true }]);
});
