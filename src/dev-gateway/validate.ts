import { isCapabilityType } from '../capability/capability-type.js';
import type { ClientFrame, PostPath } from '../protocol/frames.js';

const NACK_KINDS = new Set(['retryable', 'terminal', 'schema-mismatch', 'cancelled']);

/** The frame a POST to `path` carries. */
export type FrameOf<P extends PostPath> = Extract<ClientFrame, { type: P }>;

export type Checked<P extends PostPath> = { frame: FrameOf<P> } | { problem: string };

type Body = Record<string, unknown>;
/** A check returns what is wrong, or `undefined`. */
type Check = (body: Body) => string | undefined;

/**
 * Checks a POST body against PROTOCOL.md's frame shapes: `type` equal to the path, a
 * `neuronId`, and the fields that frame type requires. Unknown extra fields are allowed.
 */
export function checkFrame<P extends PostPath>(path: P, body: unknown): Checked<P> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { problem: 'the body must be a JSON object' };
  }
  const frame = body as Body;
  if (frame.type !== path) {
    return { problem: `type must be '${path}' on /neuron/${path}, got ${show(frame.type)}` };
  }
  const problem = nonEmpty(frame, 'neuronId') ?? checks[path](frame);
  return problem === undefined ? { frame: frame as unknown as FrameOf<P> } : { problem };
}

const checks: Record<PostPath, Check> = {
  register: (b) => optional(b, 'protocolVersion', 'string') ?? capabilities(b.capabilities),
  'update-capability': (b) =>
    isCapabilityType(b.capabilityType)
      ? positiveInteger(b.concurrency, 'concurrency')
      : `capabilityType is not a valid capability type: ${show(b.capabilityType)}`,
  heartbeat: (b) => nonEmpty(b, 'sessionId') ?? inFlight(b.inFlight),
  ack: (b) => leaseFields(b) ?? optional(b, 'durationMs', 'number'),
  nack: (b) =>
    leaseFields(b) ??
    (NACK_KINDS.has(b.kind as string) ? undefined : `kind is not a nack kind: ${show(b.kind)}`) ??
    required(b, 'reason', 'string') ??
    optional(b, 'code', 'string') ??
    optional(b, 'details', 'object'),
  progress: (b) =>
    leaseFields(b) ??
    optional(b, 'percent', 'number') ??
    optional(b, 'message', 'string') ??
    optional(b, 'sentAt', 'string'),
};

function capabilities(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `capabilities must be an array, got ${show(value)}`;
  const seen = new Set<string>();
  for (const [i, cap] of value.entries()) {
    const at = `capabilities[${i}]`;
    if (typeof cap !== 'object' || cap === null) return `${at} must be an object`;
    const c = cap as Body;
    if (!isCapabilityType(c.type))
      return `${at}.type is not a valid capability type: ${show(c.type)}`;
    // update-capability names a capability by type alone, so a type may appear once.
    if (seen.has(c.type)) return `${at}.type ${c.type} is advertised twice`;
    seen.add(c.type);
    const problem =
      scope(c.scope) ??
      positiveInteger(c.concurrency, 'concurrency') ??
      optional(c, 'description', 'string') ??
      schema(c, 'inputSchema') ??
      schema(c, 'outputSchema') ??
      (c.leaseTtlMs === undefined ? undefined : positiveInteger(c.leaseTtlMs, 'leaseTtlMs'));
    if (problem) return `${at}.${problem}`;
  }
  return undefined;
}

function scope(value: unknown): string | undefined {
  if (value === 'any') return undefined;
  const onBehalfOf = (value as Body | null)?.onBehalfOf;
  if (typeof value === 'object' && typeof onBehalfOf === 'string' && onBehalfOf !== '') {
    return undefined;
  }
  return `scope must be 'any' or { onBehalfOf: string }, got ${show(value)}`;
}

/** `key` must be an integer >= 1 (a concurrency, a TTL). */
function positiveInteger(value: unknown, key: string): string | undefined {
  return isPositiveInteger(value)
    ? undefined
    : `${key} must be an integer >= 1, got ${show(value)}`;
}

function inFlight(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `inFlight must be an array, got ${show(value)}`;
  const bad = value.findIndex(
    (item) => typeof (item as Body | null)?.leaseId !== 'string' || (item as Body).leaseId === '',
  );
  return bad < 0 ? undefined : `inFlight[${bad}].leaseId must be a non-empty string`;
}

function leaseFields(body: Body): string | undefined {
  return nonEmpty(body, 'leaseId') ?? nonEmpty(body, 'taskId');
}

function schema(body: Body, key: string): string | undefined {
  const value = body[key];
  const ok = value === undefined || typeof value === 'boolean' || isObject(value);
  return ok ? undefined : `${key} must be a JSON Schema (object or boolean)`;
}

function nonEmpty(body: Body, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== ''
    ? undefined
    : `${key} must be a non-empty string, got ${show(value)}`;
}

function required(body: Body, key: string, type: 'string'): string | undefined {
  return typeof body[key] === type ? undefined : `${key} must be a ${type}, got ${show(body[key])}`;
}

function optional(body: Body, key: string, type: 'string' | 'number' | 'object') {
  const value = body[key];
  if (value === undefined) return undefined;
  const ok = type === 'object' ? isObject(value) : typeof value === type;
  return ok ? undefined : `${key} must be a ${type} when present, got ${show(value)}`;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
