import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayErrorCode } from '../protocol/frames.js';
import { allowOrigin, answerPreflight, isPreflight } from './cors.js';
import { isDashboardPath, serveDashboard } from './dashboard/index.js';
import { DEV_PREFIX, type DevApi } from './dev-api.js';
import type { FaultBook } from './faults.js';
import { handlePost } from './handlers.js';
import { type Answer, errorAnswer, headersOf, readBody, send } from './http.js';
import type { GatewayHub } from './hub.js';
import { authenticate } from './identity/authenticate.js';
import type { IdentityProvider } from './identity/provider.js';
import { responseSink } from './sse.js';
import type { GatewayPath, RequestRecord } from './types.js';

const PATHS: ReadonlySet<string> = new Set<GatewayPath>([
  'events',
  'register',
  'update-capability',
  'heartbeat',
  'ack',
  'nack',
  'progress',
]);

export function toPath(segment: string | undefined): GatewayPath | undefined {
  return segment !== undefined && PATHS.has(segment) ? (segment as GatewayPath) : undefined;
}

export interface RouterContext {
  hub: GatewayHub;
  faults: FaultBook;
  /** Called once per request, when it has been answered. */
  record: (entry: RequestRecord) => void;
  /** Serves `/__dev__/…`; those requests skip faults and auth and are not recorded. */
  dev?: DevApi;
  /** The identity provider: serves `/moku/…` (unrecorded, no faults) and checks tokens. */
  identity?: IdentityProvider;
}

/**
 * Routes one request. `/__dev__/…` goes to the dev API (no faults, no auth, not recorded), and
 * `/moku/…` to the identity provider (likewise). Otherwise the order is: route (404/405), body
 * (413), then a scripted fault, then auth (401), then the frame's own checks. Faults come before
 * auth so a test can script a 401 whatever the token; the body is read first so the request log
 * holds it even then.
 */
export async function route(
  ctx: RouterContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://dev-gateway');
  if (ctx.dev && (url.pathname === DEV_PREFIX || url.pathname.startsWith(`${DEV_PREFIX}/`))) {
    return ctx.dev.handle(req, res, url);
  }
  // The dashboard (`/`) comes with the dev API it reads from; like it, unrecorded and unauthenticated.
  if (ctx.dev && isDashboardPath(url.pathname)) return serveDashboard(req, res, url);
  if (ctx.identity?.owns(url.pathname)) return ctx.identity.handle(req, res, url);
  // Browser pages reach the neuron endpoints from their own origin (cors.ts).
  if (url.pathname.startsWith('/neuron/')) {
    if (isPreflight(req)) return answerPreflight(req, res);
    allowOrigin(req, res);
  }
  const path = toPath(/^\/neuron\/([^/]+)$/.exec(url.pathname)?.[1]);
  const base: Omit<RequestRecord, 'status'> = {
    method: req.method ?? 'GET',
    path: path ?? 'unknown',
    url: req.url ?? '/',
    headers: headersOf(req),
    at: Date.now(),
  };
  const finish = (answer: Answer, extra: { neuronId?: string; body?: unknown } = {}): void => {
    const { delayMs, ...now } = answer;
    if (delayMs !== undefined && delayMs > 0) {
      const timer = setTimeout(() => finish(now, extra), delayMs);
      res.once('close', () => {
        if (res.writableEnded) return;
        clearTimeout(timer);
        ctx.record({ ...base, ...extra, status: answer.status, abandoned: true });
      });
      return;
    }
    send(res, answer);
    ctx.record({ ...base, ...extra, status: answer.status });
    answer.afterSend?.();
  };

  if (path === undefined) {
    return finish(errorAnswer(404, 'NOT_FOUND', `no route for ${url.pathname}`));
  }
  const method = path === 'events' ? 'GET' : 'POST';
  if (req.method !== method) {
    const message = `${url.pathname} takes ${method}`;
    return finish(errorAnswer(405, 'METHOD_NOT_ALLOWED', message, { Allow: method }));
  }

  if (path === 'events') {
    const neuronId = url.searchParams.get('neuronId') || undefined;
    const header = req.headers['last-event-id'];
    const lastEventId = typeof header === 'string' && header !== '' ? header : undefined;
    const fault = ctx.faults.take('events');
    const auth = fault ? { refused: fault } : await authenticate(req, accept(ctx), ctx.identity);
    if ('refused' in auth) return finish(auth.refused, neuronId ? { neuronId } : {});
    if (!neuronId) {
      const message = 'the neuronId query parameter is required';
      return finish(errorAnswer(400, GatewayErrorCode.INVALID_FRAME, message));
    }
    // The token check may have awaited: a client gone meanwhile gets no stream.
    if (req.socket.destroyed) return;
    ctx.hub.openStream(neuronId, responseSink(res), lastEventId, auth.identity);
    ctx.record({ ...base, neuronId, status: 200 });
    return;
  }

  const text = await readBody(req, ctx.hub.options.maxBodyBytes);
  if (text === undefined) {
    const message = `the body exceeds ${ctx.hub.options.maxBodyBytes} bytes`;
    return finish(errorAnswer(413, 'PAYLOAD_TOO_LARGE', message, { Connection: 'close' }));
  }
  let body: unknown;
  let json = true;
  try {
    body = JSON.parse(text);
  } catch {
    json = false;
  }
  const neuronId = (body as { neuronId?: unknown } | null)?.neuronId;
  const extra = {
    ...(typeof neuronId === 'string' && { neuronId }),
    ...(json && { body }),
  };
  const fault = ctx.faults.take(path);
  const auth = fault ? { refused: fault } : await authenticate(req, accept(ctx), ctx.identity);
  if ('refused' in auth) return finish(auth.refused, extra);
  if (!json) {
    return finish(errorAnswer(400, GatewayErrorCode.INVALID_FRAME, 'the body is not JSON'), extra);
  }
  finish(handlePost(ctx.hub, path, body, auth.identity), extra);
}

function accept(ctx: RouterContext): ((token: string) => boolean) | undefined {
  return ctx.hub.options.acceptToken;
}
