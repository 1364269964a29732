/**
 * Fetch a URL. Shows the three ways a task fails, and how the lease's abort signal reaches the
 * request:
 *
 * - input the schema refuses (no `url`, an unknown method…): the SDK nacks `schema-mismatch`
 *   before the handler runs;
 * - input the schema allows but that can never work (an `ftp:` URL, a body on a GET): the
 *   handler calls `ctx.fail(reason, { code })`, a terminal nack;
 * - a network error or a timeout: the handler throws, a retryable nack, so the gateway tries
 *   the task again.
 *
 * A cancel (or the neuron shutting down) aborts `ctx.signal`, which aborts the request at once.
 */
import { defineCapability, type HandlerContext, type InferInput } from '@holokai/neuron-sdk';
import { z } from 'zod';

export const httpFetch = defineCapability({
  type: 'examples/http-fetch',
  description: 'Fetches a URL and returns the status, headers and body (as text).',
  input: z.object({
    url: z.url(),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    timeoutMs: z.number().int().min(1).max(120_000).default(10_000),
    /** The body is cut at this many bytes (`truncated: true`). */
    maxBytes: z.number().int().min(0).max(4_000_000).default(1_000_000),
  }),
  output: z.object({
    status: z.number().int(),
    statusText: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.string(),
    truncated: z.boolean(),
  }),
  concurrency: 8,
});

export type FetchInput = InferInput<typeof httpFetch>;

export async function fetchHandler(input: FetchInput, ctx: HandlerContext) {
  const url = new URL(input.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.fail(`only http and https URLs can be fetched, not ${url.protocol}`, {
      code: 'UNSUPPORTED_PROTOCOL',
    });
  }

  // The request ends on whichever fires first: the lease's signal (cancel, shutdown) or the timeout.
  const timeout = AbortSignal.timeout(input.timeoutMs);
  let request: Request;
  try {
    request = new Request(url, {
      method: input.method,
      headers: input.headers,
      body: input.body,
      signal: AbortSignal.any([ctx.signal, timeout]),
    });
  } catch (err) {
    // A body on a GET, a header name with a space…: retrying cannot help.
    ctx.fail(`invalid request: ${(err as Error).message}`, { code: 'INVALID_REQUEST' });
  }

  ctx.log.info({ method: input.method, url: url.href }, 'fetching');
  try {
    const response = await fetch(request);
    const { body, truncated } = await readText(response, input.maxBytes);
    return {
      status: response.status,
      statusText: response.statusText,
      url: response.url,
      headers: Object.fromEntries(response.headers),
      body,
      truncated,
    };
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason; // cancelled or shutting down
    if (timeout.aborted) throw new Error(`${url.host} did not answer within ${input.timeoutMs} ms`);
    // Retryable: connection refused, DNS failure, reset… another attempt may succeed.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`fetching ${url.host} failed: ${cause?.code ?? cause?.message ?? String(err)}`);
  }
}

/** The body as UTF-8 text, cut at `maxBytes` (the rest is not downloaded). */
async function readText(response: Response, maxBytes: number) {
  if (!response.body) return { body: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of response.body) {
    if (size + chunk.byteLength > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      truncated = true;
      break; // leaving the loop cancels the stream
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { body: Buffer.concat(chunks).toString('utf8'), truncated };
}
