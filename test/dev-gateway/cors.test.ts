/** CORS on the neuron endpoints, for neurons in browser pages (src/dev-gateway/cors.ts). */
import { request } from 'node:http';
import { createDevGateway, type DevGateway } from '@holokai/neuron-sdk/dev-gateway';
import { afterEach, describe, expect, it } from 'vitest';

const ORIGIN = 'http://127.0.0.1:5173';
let gw: DevGateway | undefined;

afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

/** One request with node:http (a browser's `Origin` header is set as is), its head only. */
function head(url: string, method: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.destroy();
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('CORS on the neuron endpoints', () => {
  it('answers a preflight with the origin, methods and headers, unrecorded', async () => {
    gw = await createDevGateway({ token: 't' });
    const answer = await head(`${gw.url}/neuron/register`, 'OPTIONS', {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'authorization, content-type, last-event-id, accept',
    });
    expect(gw.requests).toEqual([]);
  });

  it('puts the origin on real answers, SSE included, and exposes Retry-After', async () => {
    gw = await createDevGateway({ token: 't' });
    const auth = { origin: ORIGIN, authorization: 'Bearer t' };
    const events = await head(`${gw.url}/neuron/events?neuronId=page-1`, 'GET', auth);
    expect(events.status).toBe(200);
    expect(events.headers).toMatchObject({
      'content-type': 'text/event-stream',
      'access-control-allow-origin': ORIGIN,
    });
    gw.failNext('heartbeat', { status: 503, retryAfter: '1' });
    const post = await head(`${gw.url}/neuron/heartbeat`, 'POST', auth);
    expect(post).toMatchObject({
      status: 503,
      headers: {
        'access-control-allow-origin': ORIGIN,
        'access-control-expose-headers': 'retry-after, www-authenticate',
        'retry-after': '1',
      },
    });
    const refused = await head(`${gw.url}/neuron/ack`, 'POST', { origin: ORIGIN });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('leaves requests without an Origin, and the dev API, as they were', async () => {
    gw = await createDevGateway({ token: 't' });
    const plain = await head(`${gw.url}/neuron/ack`, 'POST', {});
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    const dev = await head(`${gw.url}/__dev__/health`, 'GET', { origin: ORIGIN });
    expect(dev.headers['access-control-allow-origin']).toBeUndefined();
  });
});
