/**
 * Shapes of the `/__dev__/…` request bodies. Each check returns what is wrong, phrased as what
 * to send instead, or the parsed value.
 */
import { assertCapabilityType } from '../capability/capability-type.js';
import type { TaskSpec } from './types.js';

export type Parsed<T> = { value: T } | { problem: string };

type Body = Record<string, unknown>;

const TASK_FIELDS = [
  'capabilityType',
  'input',
  'onBehalfOf',
  'taskId',
  'workflowId',
  'leaseTtlMs',
  'maxAttempts',
] as const;

/** A `POST /__dev__/tasks` body: a TaskSpec, `input` defaulting to `null`. */
export function parseTaskSpec(body: unknown): Parsed<TaskSpec> {
  const problem =
    objectProblem(body, TASK_FIELDS) ??
    capabilityTypeProblem((body as Body).capabilityType) ??
    optionalString(body as Body, 'onBehalfOf') ??
    optionalString(body as Body, 'taskId') ??
    optionalString(body as Body, 'workflowId') ??
    optionalPositiveInteger(body as Body, 'leaseTtlMs') ??
    optionalPositiveInteger(body as Body, 'maxAttempts');
  if (problem !== undefined) return { problem };
  const b = body as Body;
  const spec: TaskSpec = { capabilityType: b.capabilityType as string, input: b.input ?? null };
  for (const key of ['onBehalfOf', 'taskId', 'workflowId'] as const) {
    if (b[key] !== undefined) spec[key] = b[key] as string;
  }
  for (const key of ['leaseTtlMs', 'maxAttempts'] as const) {
    if (b[key] !== undefined) spec[key] = b[key] as number;
  }
  return { value: spec };
}

/** `POST /__dev__/tasks/:taskId/cancel`: `{ reason? }` (an empty body is fine). */
export function parseCancel(body: unknown): Parsed<{ reason?: string }> {
  const problem = objectProblem(body, ['reason']) ?? optionalString(body as Body, 'reason');
  return problem === undefined ? { value: body as { reason?: string } } : { problem };
}

export interface RevokeRequest {
  capabilityType: string;
  neuronId?: string;
  reason?: string;
}

/** `POST /__dev__/capabilities/revoke`. */
export function parseRevoke(body: unknown): Parsed<RevokeRequest> {
  const problem =
    objectProblem(body, ['capabilityType', 'neuronId', 'reason']) ??
    capabilityTypeProblem((body as Body).capabilityType) ??
    optionalString(body as Body, 'neuronId') ??
    optionalString(body as Body, 'reason');
  return problem === undefined ? { value: body as unknown as RevokeRequest } : { problem };
}

export interface DisconnectRequest {
  reason?: string;
  reconnectAfterMs?: number;
}

/** `POST /__dev__/neurons/:neuronId/disconnect`. */
export function parseDisconnect(body: unknown): Parsed<DisconnectRequest> {
  const b = body as Body;
  const after = b?.reconnectAfterMs;
  const problem =
    objectProblem(body, ['reason', 'reconnectAfterMs']) ??
    optionalString(b, 'reason') ??
    (after === undefined || (Number.isInteger(after) && (after as number) >= 0)
      ? undefined
      : `reconnectAfterMs must be an integer >= 0 (milliseconds), got ${show(after)}`);
  return problem === undefined ? { value: b as DisconnectRequest } : { problem };
}

/** `POST /__dev__/capabilities/check-input`: `{ capabilityType, input? }` (`input` defaults to `null`). */
export function parseCheckInput(body: unknown): Parsed<{ capabilityType: string; input: unknown }> {
  const problem =
    objectProblem(body, ['capabilityType', 'input']) ??
    capabilityTypeProblem((body as Body).capabilityType);
  if (problem !== undefined) return { problem };
  const b = body as Body;
  return { value: { capabilityType: b.capabilityType as string, input: b.input ?? null } };
}

function objectProblem(body: unknown, allowed: readonly string[]): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `the body must be a JSON object, got ${show(body)}`;
  }
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length === 0) return undefined;
  return `unknown field ${unknown.map((k) => `'${k}'`).join(', ')}; allowed: ${allowed.join(', ')}`;
}

function capabilityTypeProblem(value: unknown): string | undefined {
  if (value === undefined) {
    return 'capabilityType is required, e.g. { "capabilityType": "examples/echo" }';
  }
  try {
    assertCapabilityType(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || (typeof value === 'string' && value !== '')) return undefined;
  return `${key} must be a non-empty string when present, got ${show(value)}`;
}

function optionalPositiveInteger(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || (Number.isInteger(value) && (value as number) >= 1)) return undefined;
  return `${key} must be an integer >= 1 when present, got ${show(value)}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
