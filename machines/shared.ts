/** Small pure helpers the machines share. */
import { fromPromise, type NonReducibleUnknown } from 'xstate';

/** The default of an effect actor the machine names but its user must provide: it rejects. */
export function notProvided<TOutput = void, TInput = NonReducibleUnknown>(
  machine: string,
  name: string,
) {
  return fromPromise<TOutput, TInput>(() =>
    Promise.reject(new Error(`${machine} actor '${name}' was not provided`)),
  );
}

/** The HTTP status an effect's error carries (`GatewayStatusError.status`), if any. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** `Retry-After` in ms, when the error carries one. */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && ms >= 0 ? ms : undefined;
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
