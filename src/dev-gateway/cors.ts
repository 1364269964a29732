/**
 * CORS for the neuron endpoints, so a neuron in a browser page (another origin: a Vite dev
 * server, a file served elsewhere) can reach the gateway with `fetch`. Whatever origin asks is
 * allowed, echoed back: this is a loopback dev tool, and its neuron endpoints are guarded by the
 * bearer token, which a page must hold anyway (CORS does not protect those who have none). The
 * `/__dev__/…` API and the dashboard get none: they are unauthenticated, and a page elsewhere
 * must not drive them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_HEADERS = 'authorization, content-type, last-event-id, accept';

/**
 * Puts `Access-Control-Allow-Origin` on the answer to come (set on `res` now, so every way the
 * router answers carries it, the SSE stream included). `Retry-After` (429/503) and
 * `WWW-Authenticate` (401) are exposed: the SDK reads them.
 */
export function allowOrigin(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', 'retry-after, www-authenticate');
  res.setHeader('Vary', 'Origin');
}

/**
 * Answers a preflight (`OPTIONS` with `Access-Control-Request-Method`): `204`, unrecorded, with
 * no fault or auth applied (a browser never sends credentials on one). A page on a public origin
 * asking for loopback (Chromium's Private Network Access) is let through too.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  allowOrigin(req, res);
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': ALLOW_HEADERS,
    'Access-Control-Max-Age': '600',
    ...(req.headers['access-control-request-private-network'] === 'true' && {
      'Access-Control-Allow-Private-Network': 'true',
    }),
  });
  res.end();
}

/** A CORS preflight, as opposed to a plain `OPTIONS` request. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}
