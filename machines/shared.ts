/** Small pure helpers the machines share. */

/** The HTTP status an effect's error carries (`GatewayStatusError.status`), if any. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** The gateway's `error.code` an effect's error carries (`GatewayStatusError.gatewayCode`), if any. */
export function gatewayCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { gatewayCode?: unknown }).gatewayCode;
  return typeof code === 'string' ? code : undefined;
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

/** Transient per PROTOCOL.md's POST-response table: 429, 5xx, or no answer at all. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 429 || status >= 500;
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
