/**
 * Small pure helpers the machines share. Effects fail with the SDK's error classes
 * (`GatewayStatusError`, `RegistrationRejectedError`, `NetworkError`…); the machines decide by
 * those types, never by reading fields off whatever was thrown.
 */
import { type EventObject, fromPromise } from 'xstate';
import { GatewayStatusError, RegistrationRejectedError } from '../src/errors.js';

/** The default of an effect actor the machine names but its user must provide: it rejects. */
export function notProvided<TOutput = void, TInput = unknown>(machine: string, name: string) {
  return fromPromise<TOutput, TInput>(() =>
    Promise.reject(new Error(`${machine} actor '${name}' was not provided`)),
  );
}

/** What an `xstate.error.actor.*` event carries (any other event carries none). */
export function errorOf(event: EventObject): unknown {
  return 'error' in event ? event.error : undefined;
}

/** What an `xstate.done.actor.*` event carries. */
export function outputOf(event: EventObject): unknown {
  return 'output' in event ? event.output : undefined;
}

/** The HTTP status of a refusal by the gateway; `undefined` when it never answered. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof GatewayStatusError) return error.status;
  if (error instanceof RegistrationRejectedError) return error.status;
  return undefined;
}

/** `Retry-After` in ms, when the gateway's answer carried one. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof GatewayStatusError ? error.retryAfterMs : undefined;
}

/** A short, token-free description of an effect's failure. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Transient per PROTOCOL.md's POST-response table: 429, 5xx, or no answer at all; and 408. */
function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/**
 * A lease POST (outcome or progress) that may be tried again or dropped quietly: transient, or a
 * 401 — the transport has already refreshed auth once and retried, so this is the second in a row.
 */
export function isTransientPostFailure(error: unknown): boolean {
  return isTransient(error) || statusOf(error) === 401;
}

/** 409/410 `LEASE_NOT_HELD`: the gateway no longer holds the lease; never retried. */
export function isNotHeld(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 410;
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
