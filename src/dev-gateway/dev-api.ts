/**
 * The dev gateway's inspection and control API under `/__dev__/…`, for `neuron inject`,
 * `neuron tasks`… and a dashboard. JSON in and out; errors as `{ error: { code, message } }`.
 * No authentication: the gateway binds loopback unless told otherwise (see README).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SDK_VERSION } from '../version.js';
import { consoleRoutes } from './dev-console-routes.js';
import { DevEventStreams } from './dev-events.js';
import {
  type Parsed,
  parseCancel,
  parseDisconnect,
  parseRevoke,
  parseTaskSpec,
} from './dev-validate.js';
import { serves } from './dispatch.js';
import type { DevGateway } from './gateway.js';
import { type Answer, errorAnswer, readBody, send } from './http.js';
import { identityRoutes } from './identity/dev-routes.js';
import type { IdentityProvider } from './identity/provider.js';
import type { NeuronInfo, TaskSpec } from './types.js';

export const DEV_PREFIX = '/__dev__';

type Method = 'GET' | 'POST';

export interface DevRoute {
  method: Method;
  pattern: RegExp;
  /** `params` are the pattern's groups, decoded; `body` is the parsed JSON (`{}` when empty). */
  handle: (
    params: string[],
    body: unknown,
    url: URL,
    res: ServerResponse,
  ) => Answer | undefined | Promise<Answer | undefined>;
}

export interface DevApi {
  /** Answers a request whose path starts with `/__dev__`. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** Ends every `/__dev__/events` stream. */
  close(): void;
}

export function createDevApi(
  gw: DevGateway,
  limits: { pingIntervalMs: number; maxBodyBytes: number },
  identity?: IdentityProvider,
): DevApi {
  const streams = new DevEventStreams(gw, limits.pingIntervalMs);
  const routes = [
    ...devRoutes(gw, streams),
    ...consoleRoutes(gw, servedBy),
    ...identityRoutes(identity),
  ];
  return {
    close: () => streams.closeAll(),
    async handle(req, res, url) {
      const path = url.pathname.slice(DEV_PREFIX.length) || '/';
      const matching = routes
        .map((route) => ({ route, match: route.pattern.exec(path) }))
        .filter((m) => m.match !== null);
      if (matching.length === 0) {
        const message = `no dev route ${req.method} ${url.pathname}; see the dev gateway README for the /__dev__ routes`;
        return send(res, errorAnswer(404, 'NOT_FOUND', message));
      }
      const hit = matching.find((m) => m.route.method === req.method);
      if (!hit) {
        const allow = matching.map((m) => m.route.method).join(', ');
        const message = `${url.pathname} takes ${allow}`;
        return send(res, errorAnswer(405, 'METHOD_NOT_ALLOWED', message, { Allow: allow }));
      }
      let body: unknown = {};
      if (req.method === 'POST') {
        const text = await readBody(req, limits.maxBodyBytes);
        if (text === undefined) {
          const message = `the body exceeds ${limits.maxBodyBytes} bytes`;
          return send(res, errorAnswer(413, 'PAYLOAD_TOO_LARGE', message, { Connection: 'close' }));
        }
        try {
          body = text.trim() === '' ? {} : JSON.parse(text);
        } catch {
          const message = 'the body is not valid JSON; send a JSON object';
          return send(res, errorAnswer(400, 'INVALID_JSON', message));
        }
      }
      const params = hit.match!.slice(1).map((p) => safeDecode(p ?? ''));
      const answer = await hit.route.handle(params, body, url, res);
      if (answer) send(res, answer);
    },
  };
}

function devRoutes(gw: DevGateway, streams: DevEventStreams): DevRoute[] {
  const taskNotFound = (taskId: string): Answer => {
    const message = `no task ${taskId}; list the tasks with GET /__dev__/tasks`;
    return errorAnswer(404, 'TASK_NOT_FOUND', message);
  };
  return [
    {
      method: 'GET',
      pattern: /^\/health\/?$/,
      handle: () =>
        ok({
          ok: true,
          version: SDK_VERSION,
          url: gw.url,
          startedAt: gw.startedAt,
          ...(gw.identity && { mokuUrl: gw.identity.issuer }),
        }),
    },
    {
      method: 'POST',
      pattern: /^\/tasks\/?$/,
      handle: (_, body) =>
        parsed(parseTaskSpec(body), (spec) => {
          if (spec.taskId !== undefined && gw.task(spec.taskId)) {
            const message = `task ${spec.taskId} exists; pick another taskId or omit it`;
            return errorAnswer(409, 'TASK_EXISTS', message);
          }
          const task = gw.submitTask(spec);
          return { status: 201, body: { task, servedBy: servedBy(gw.neurons(), spec) } };
        }),
    },
    { method: 'GET', pattern: /^\/tasks\/?$/, handle: () => ok(gw.tasks()) },
    {
      method: 'GET',
      pattern: /^\/tasks\/([^/]+)\/?$/,
      handle: ([taskId]) => {
        const task = gw.task(taskId!);
        return task ? ok(task) : taskNotFound(taskId!);
      },
    },
    {
      method: 'POST',
      pattern: /^\/tasks\/([^/]+)\/cancel\/?$/,
      handle: ([taskId], body) =>
        parsed(parseCancel(body), ({ reason }) =>
          gw.task(taskId!) ? ok(gw.cancelTask(taskId!, reason)) : taskNotFound(taskId!),
        ),
    },
    {
      method: 'POST',
      pattern: /^\/capabilities\/revoke\/?$/,
      handle: (_, body) =>
        parsed(parseRevoke(body), ({ capabilityType, neuronId, reason }) => {
          const serving = gw
            .neurons()
            .filter((n) => neuronId === undefined || n.neuronId === neuronId)
            .filter((n) => n.capabilities.some((c) => c.type === capabilityType && !c.revoked));
          if (serving.length === 0) {
            const who =
              neuronId === undefined ? 'no neuron serves' : `neuron ${neuronId} does not serve`;
            const message = `${who} ${capabilityType} (or it is revoked already); list them with GET /__dev__/neurons`;
            return errorAnswer(404, 'NOT_SERVED', message);
          }
          for (const n of serving) gw.revokeCapability(n.neuronId, capabilityType, reason);
          return ok({ revoked: serving.map((n) => n.neuronId) });
        }),
    },
    { method: 'GET', pattern: /^\/neurons\/?$/, handle: () => ok(gw.neurons()) },
    {
      method: 'POST',
      pattern: /^\/neurons\/([^/]+)\/disconnect\/?$/,
      handle: ([neuronId], body) =>
        parsed(parseDisconnect(body), (options) => {
          const neuron = gw.neurons().find((n) => n.neuronId === neuronId);
          if (!neuron?.streamOpen) {
            const open = gw.neurons().filter((n) => n.streamOpen);
            const known = open.map((n) => n.neuronId).join(', ') || 'none';
            const message = `neuron ${neuronId} has no open stream (connected: ${known})`;
            return errorAnswer(404, 'NEURON_NOT_FOUND', message);
          }
          gw.disconnect(neuronId!, options);
          return ok({ disconnected: neuronId });
        }),
    },
    {
      method: 'GET',
      pattern: /^\/events\/?$/,
      handle: (_, __, url, res) => {
        const taskId = url.searchParams.get('taskId') || undefined;
        if (taskId !== undefined && !gw.task(taskId)) return taskNotFound(taskId);
        streams.open(res, taskId);
        return undefined;
      },
    },
  ];
}

/**
 * How many registered neurons could take the task now or once free: they advertise its type,
 * unrevoked, with a scope that admits it (`'any'`, or its `onBehalfOf`).
 */
export function servedBy(
  neurons: readonly NeuronInfo[],
  spec: Pick<TaskSpec, 'capabilityType' | 'onBehalfOf'>,
): number {
  return neurons.filter(
    (n) =>
      n.sessionId !== undefined &&
      n.capabilities.some(
        (c) => c.type === spec.capabilityType && !c.revoked && serves(c.scope, spec),
      ),
  ).length;
}

/** A malformed `%` escape is kept as is: it then names no task or neuron, and the 404 says so. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function parsed<T>(result: Parsed<T>, then: (value: T) => Answer): Answer {
  return 'problem' in result
    ? errorAnswer(400, 'INVALID_REQUEST', result.problem)
    : then(result.value);
}
