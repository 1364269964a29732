import { ConfigError } from '../errors.js';
import { GatewayErrorCode } from '../protocol/frames.js';
import { type Answer, errorAnswer } from './http.js';
import type { FaultSpec, GatewayPath } from './types.js';

const LEASE_PATHS: ReadonlySet<GatewayPath> = new Set(['ack', 'nack', 'progress']);
const REGISTER_PATHS: ReadonlySet<GatewayPath> = new Set(['register', 'update-capability']);

/** The code PROTOCOL.md's POST-response table gives `status` on `path`, else a generic one. */
function defaultCode(path: GatewayPath, status: number): string {
  if (status === 400) return GatewayErrorCode.INVALID_FRAME;
  if (status === 401) return GatewayErrorCode.UNAUTHORIZED;
  if (status === 403 && REGISTER_PATHS.has(path)) return GatewayErrorCode.CAPABILITY_DENIED;
  if (status === 404 && path === 'heartbeat') return GatewayErrorCode.NO_SESSION;
  if (status === 409 && REGISTER_PATHS.has(path)) return GatewayErrorCode.NO_STREAM;
  if ((status === 409 || status === 410) && LEASE_PATHS.has(path)) {
    return GatewayErrorCode.LEASE_NOT_HELD;
  }
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'UNAVAILABLE';
  return `HTTP_${status}`;
}

interface Scripted {
  spec: FaultSpec;
  left: number;
}

/** Scripted answers: `failNext` queues them per path, each request to the path takes one. */
export class FaultBook {
  readonly #queues = new Map<GatewayPath, Scripted[]>();

  add(path: GatewayPath, spec: FaultSpec): void {
    const left = spec.times ?? 1;
    if (!Number.isInteger(spec.status) || spec.status < 200 || spec.status > 599) {
      throw new ConfigError('NEURON_ERR_INVALID_OPTIONS', 'dev gateway: status must be 200..599');
    }
    if (!Number.isInteger(left) || left < 1) {
      throw new ConfigError('NEURON_ERR_INVALID_OPTIONS', 'dev gateway: times must be >= 1');
    }
    const delay = spec.delayMs;
    if (delay !== undefined && !(Number.isInteger(delay) && delay >= 0)) {
      throw new ConfigError('NEURON_ERR_INVALID_OPTIONS', 'dev gateway: delayMs must be >= 0');
    }
    const queue = this.#queues.get(path) ?? [];
    queue.push({ spec, left });
    this.#queues.set(path, queue);
  }

  /** The scripted answer for the next request to `path`, if one is queued. */
  take(path: GatewayPath): Answer | undefined {
    const queue = this.#queues.get(path);
    const next = queue?.[0];
    if (!next) return undefined;
    next.left -= 1;
    if (next.left === 0) queue.shift();
    const { status, code, message, retryAfter, body, delayMs } = next.spec;
    const delay = delayMs === undefined ? {} : { delayMs };
    if (body !== undefined) {
      return {
        status,
        body,
        ...(retryAfter !== undefined && { headers: { 'Retry-After': retryAfter } }),
        ...delay,
      };
    }
    const answer = errorAnswer(
      status,
      code ?? defaultCode(path, status),
      message ?? 'injected fault',
      retryAfter === undefined ? undefined : { 'Retry-After': retryAfter },
    );
    return { ...answer, ...delay };
  }

  clear(): void {
    this.#queues.clear();
  }
}
