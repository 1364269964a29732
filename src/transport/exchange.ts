/**
 * One HTTP exchange with a deadline, its failures turned into the SDK's errors: no answer in
 * time → `RequestTimeoutError`, no answer at all → `NetworkError`. The deadline covers the
 * answer's headers and whatever `read` consumes of its body.
 */
import { NetworkError, NeuronError, RequestTimeoutError } from '../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.js';

export interface ExchangeOptions {
  /** `events` or the POST path: names the request in errors. */
  path: string;
  timeoutMs: number;
  /**
   * `performance.now()` when the request began, if before this exchange (its `auth` call): the
   * deadline is then `timeoutMs` after that, so the two together never take longer.
   */
  startedAt?: number;
  /** Aborted on timeout; the caller may abort it too (`stop()`), and keeps it for a stream. */
  controller: AbortController;
}

export async function exchange<T>(
  client: HttpClient,
  request: Omit<HttpRequest, 'signal'>,
  { path, timeoutMs, controller, startedAt }: ExchangeOptions,
  read: (response: HttpResponse) => Promise<T>,
): Promise<T> {
  let timedOut = false;
  const spent = startedAt === undefined ? 0 : performance.now() - startedAt;
  const timer = setTimeout(
    () => {
      timedOut = true;
      controller.abort();
    },
    Math.max(0, timeoutMs - spent),
  );
  try {
    return await read(await client({ ...request, signal: controller.signal }));
  } catch (err) {
    // Errors `read` made on purpose (a GatewayStatusError…) pass through untouched.
    if (err instanceof NeuronError) throw err;
    if (timedOut) throw new RequestTimeoutError(path, timeoutMs);
    throw new NetworkError(path, err);
  } finally {
    clearTimeout(timer);
  }
}
