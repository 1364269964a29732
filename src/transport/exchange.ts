/**
 * One HTTP exchange, its failures turned into the SDK's errors: past its deadline →
 * `RequestTimeoutError`, no answer at all → `NetworkError`. The caller arms the deadline (see
 * `Deadlines`) before its `auth` call, so that the call, the answer's headers and whatever `read`
 * consumes of its body share it.
 */
import { NetworkError, NeuronError, RequestTimeoutError } from '../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.js';

/** `path` (`events` or the POST path) names the request in errors. */
export async function exchange<T>(
  client: HttpClient,
  request: HttpRequest,
  path: string,
  timeoutMs: number,
  read: (response: HttpResponse) => Promise<T>,
): Promise<T> {
  try {
    return await read(await client(request));
  } catch (err) {
    // Errors `read` made on purpose (a GatewayStatusError…) pass through untouched.
    if (err instanceof NeuronError) throw err;
    if (request.cancellation.timedOut) throw new RequestTimeoutError(path, timeoutMs);
    throw new NetworkError(path, err);
  }
}
