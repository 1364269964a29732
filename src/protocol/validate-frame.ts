/**
 * Parsing and validation of one inbound SSE frame (PROTOCOL.md "The SSE stream"): "A frame that
 * is not JSON, has no string `type`, or lacks a field that its type requires is reported (error
 * event, log) and skipped … A frame of an unknown `type` is passed to `frame` listeners".
 *
 * The schemas promise exactly what the types in `frames.ts` promise, so code that receives a
 * `LeaseFrame` can trust its fields. They are compiled once, at module load.
 *
 * Where PROTOCOL.md is silent: an optional field of the wrong type or out of range, or one entry
 * of a list that has the wrong shape, is left out and reported, and the valid rest of the frame is
 * used. Only a required field that is missing or wrong skips the whole frame.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { FrameError } from '../errors.js';
import { MAX_TIMER_MS } from '../limits.js';
import type { InboundFrame, ServerToNeuronFrame } from './frames.js';
import { utf8ByteLength } from './utf8.js';

type KnownType = ServerToNeuronFrame['type'];

/** Caps every piece of a message that comes from the wire: never echo large payloads. */
const MAX_SNIPPET = 100;

const str = { type: 'string' } as const;
const id = { type: 'string', minLength: 1 } as const;
const jsonSchema = { type: ['object', 'boolean'] } as const;
const scope = {
  anyOf: [
    { const: 'any' },
    { type: 'object', required: ['onBehalfOf'], properties: { onBehalfOf: str } },
  ],
} as const;

/**
 * JSON Schemas of the server → neuron frames, keyed by `type`. Required fields are the ones
 * PROTOCOL.md lists; optional fields are typed when present. Extra fields are allowed.
 */
export const frameSchemas = {
  registered: {
    type: 'object',
    required: ['type', 'sessionId', 'capabilities'],
    properties: {
      type: { const: 'registered' },
      sessionId: id,
      capabilities: {
        type: 'array',
        items: {
          type: 'object',
          required: ['type'],
          properties: { type: id, scope, concurrency: { type: 'integer', minimum: 1 } },
        },
      },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          required: ['type', 'code'],
          properties: { type: str, code: str, message: str },
        },
      },
      heartbeatIntervalMs: { type: 'number', exclusiveMinimum: 0, maximum: MAX_TIMER_MS },
    },
  },
  lease: {
    type: 'object',
    required: ['type', 'leaseId', 'capabilityType', 'task'],
    properties: {
      type: { const: 'lease' },
      leaseId: id,
      capabilityType: id,
      task: {
        type: 'object',
        // "`lease.task` having an `input` key": any JSON value, null included.
        required: ['taskId', 'input'],
        properties: {
          taskId: id,
          workflowId: str,
          onBehalfOf: str,
          attempt: { type: 'integer', minimum: 0 },
        },
      },
      inputSchema: jsonSchema,
      outputSchema: jsonSchema,
      expiresAt: { type: 'string', format: 'date-time' },
    },
  },
  cancel: {
    type: 'object',
    required: ['type', 'leaseId'],
    properties: { type: { const: 'cancel' }, leaseId: id, reason: str },
  },
  'capability-revoked': {
    type: 'object',
    required: ['type', 'capabilityType'],
    properties: { type: { const: 'capability-revoked' }, capabilityType: id, reason: str },
  },
  disconnect: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { const: 'disconnect' },
      reason: str,
      reconnectAfterMs: { type: 'number', minimum: 0, maximum: MAX_TIMER_MS },
    },
  },
} as const satisfies Record<KnownType, Record<string, unknown>>;

// `ownProperties`: a field only counts when the frame itself carries it, never through a prototype.
// `allErrors`: a frame with several bad optional fields is mended in one pass.
const ajv = new Ajv({ ownProperties: true, allowUnionTypes: true, allErrors: true });
ajvFormats.default(ajv, ['date-time']);

const validators = new Map<string, ValidateFunction>(
  Object.entries(frameSchemas).map(([type, schema]) => [type, ajv.compile(schema)]),
);

export type ParseFrameResult =
  | {
      ok: true;
      frame: InboundFrame;
      /** Optional fields and list entries left out because they were invalid; absent if none. */
      ignored?: FrameError[];
    }
  | { ok: false; error: FrameError };

/** Mending one bad field can bring no new error, but a bound keeps a surprise from looping. */
const MAX_REPAIR_ROUNDS = 3;
const REMOVED = Symbol('removed');

/**
 * Parses one event's `data` into a frame. Never throws: every problem becomes a `FrameError`
 * whose message names the frame type and field but carries no payload.
 */
export function parseFrame(data: string, maxFrameBytes: number): ParseFrameResult {
  // UTF-8 needs at least one byte per UTF-16 unit and at most three, so the exact count is only
  // computed when the length alone cannot decide.
  if (
    data.length > maxFrameBytes ||
    (data.length * 3 > maxFrameBytes && utf8ByteLength(data) > maxFrameBytes)
  ) {
    return fail('too-large', `frame exceeds maxFrameBytes (${maxFrameBytes} bytes); skipped`);
  }
  let value: unknown;
  try {
    value = parseJsonSafely(data);
  } catch {
    return fail('not-json', 'frame data is not JSON; skipped');
  }
  return checkFrame(value);
}

/**
 * Checks an already-parsed value against PROTOCOL.md's frame rules (an object, a string `type`,
 * the required fields of a known type). For transports that hand over objects, not text.
 */
export function checkFrame(value: unknown): ParseFrameResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('not-object', 'frame data is not a JSON object; skipped');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return fail('no-type', 'frame has no string "type"; skipped');
  }
  const validate = validators.get(type);
  if (!validate || validate(value)) return { ok: true, frame: value as InboundFrame };
  return mend(type as KnownType, value, validate);
}

/**
 * Leaves out what is optional and invalid (a field, or an entry of a list) from a copy of the
 * frame; skips the frame when a required field is at fault.
 */
function mend(type: KnownType, value: object, validate: ValidateFunction): ParseFrameResult {
  let frame: unknown;
  try {
    frame = structuredClone(value);
  } catch {
    return fail('invalid-field', `${type} frame cannot be copied to be mended; skipped`, type);
  }
  const ignored: FrameError[] = [];
  for (let round = 0; round < MAX_REPAIR_ROUNDS; round++) {
    const errors = validate.errors ?? [];
    const targets: string[][] = [];
    for (const error of errors) {
      const path = pointer(error.instancePath);
      const depth = droppableDepth(frameSchemas[type], path);
      if (depth === undefined) {
        const reason = error.keyword === 'required' ? 'missing-field' : 'invalid-field';
        return fail(reason, describe(type, firstError(errors, path)), type);
      }
      targets.push(path.slice(0, depth));
    }
    for (const target of unique(targets)) {
      ignored.push(new FrameError('invalid-field', describeIgnored(type, target, errors), type));
    }
    remove(frame, targets);
    if (validate(frame)) return { ok: true, frame: frame as InboundFrame, ignored };
  }
  return fail('invalid-field', describe(type, firstError(validate.errors)), type);
}

/**
 * How much of `path` can go: the deepest optional property or list entry on it, as a prefix
 * length; `undefined` when everything on it is required. A node with `anyOf` is one value.
 */
function droppableDepth(schema: SchemaNode, path: string[]): number | undefined {
  let node: SchemaNode | undefined = schema;
  let depth: number | undefined;
  for (let i = 0; i < path.length && node && !node.anyOf; i++) {
    if (node.items) {
      depth = i + 1;
      node = node.items as SchemaNode;
      continue;
    }
    const key = path[i] as string;
    if (!node.required?.includes(key)) depth = i + 1;
    node = node.properties?.[key] as SchemaNode | undefined;
  }
  return depth;
}

interface SchemaNode {
  required?: readonly string[];
  properties?: Readonly<Record<string, object>>;
  items?: object;
  anyOf?: readonly unknown[];
}

/** Deletes each target; list entries are marked first and filtered after, so indexes hold. */
function remove(frame: unknown, targets: string[][]): void {
  const lists = new Set<unknown[]>();
  for (const target of targets) {
    let parent: unknown = frame;
    for (const key of target.slice(0, -1)) {
      parent = typeof parent === 'object' && parent !== null ? Reflect.get(parent, key) : undefined;
    }
    const last = target[target.length - 1] as string;
    if (Array.isArray(parent)) {
      parent[Number(last)] = REMOVED;
      lists.add(parent);
    } else if (typeof parent === 'object' && parent !== null) {
      Reflect.deleteProperty(parent, last);
    }
  }
  for (const list of lists) {
    const kept = list.filter((item) => item !== REMOVED);
    list.length = 0;
    list.push(...kept);
  }
}

function unique(paths: string[][]): string[][] {
  const seen = new Map<string, string[]>();
  for (const path of paths) seen.set(path.join('/'), path);
  return [...seen.values()];
}

/** `/capabilities/0/scope` → `['capabilities', '0', 'scope']` (RFC 6901 unescaped). */
function pointer(instancePath: string): string[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** `registered frame field "heartbeatIntervalMs" must be <= 2147483647; ignored` */
function describeIgnored(type: string, target: string[], errors: ErrorObject[]): string {
  const error = firstError(errors, target);
  const what = /^\d+$/.test(target[target.length - 1] ?? '') ? 'entry' : 'field';
  const why = error?.keyword === 'anyOf' ? 'has none of the accepted shapes' : error?.message;
  return `${type} frame ${what} "${snippet(target.join('.'))}" ${snippet(why ?? 'is invalid')}; ignored`;
}

/**
 * `JSON.parse` that drops every `__proto__` key. `JSON.parse` itself makes such a key an own
 * property, but a later `Object.assign` or deep merge (ours or a handler's) would turn it into a
 * prototype change. The reviver only runs when the text could spell the key (directly or with
 * `\u` escapes), so ordinary frames parse at full speed. Throws what `JSON.parse` throws.
 */
export function parseJsonSafely(text: string): unknown {
  if (!text.includes('__proto__') && !text.includes('\\u')) return JSON.parse(text);
  return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
}

function fail(reason: FrameError['reason'], message: string, frameType?: string): ParseFrameResult {
  return { ok: false, error: new FrameError(reason, message, frameType) };
}

/**
 * The error to report: the one at `path` if given; a failed `anyOf` reports each branch first,
 * and the `anyOf` error itself says more.
 */
function firstError(
  errors: ErrorObject[] | null | undefined,
  path?: string[],
): ErrorObject | undefined {
  const at = path?.join('/');
  const candidates =
    at === undefined ? errors : errors?.filter((e) => pointer(e.instancePath).join('/') === at);
  return candidates?.find((error) => error.keyword === 'anyOf') ?? candidates?.[0];
}

/** `lease frame lacks required field "task.input"`, `lease frame field "expiresAt" must match…` */
function describe(type: string, error: ErrorObject | undefined): string {
  if (!error) return `${type} frame is invalid; skipped`;
  const path = pointer(error.instancePath);
  if (error.keyword === 'required') {
    path.push(String(error.params.missingProperty));
    return `${type} frame lacks required field "${snippet(path.join('.'))}"; skipped`;
  }
  const field = snippet(path.join('.'));
  const why = error.keyword === 'anyOf' ? 'has none of the accepted shapes' : error.message;
  return `${type} frame field "${field}" ${snippet(why ?? 'is invalid')}; skipped`;
}

function snippet(text: string): string {
  return text.length > MAX_SNIPPET ? `${text.slice(0, MAX_SNIPPET)}…` : text;
}
