/**
 * Web search without an API key: query DuckDuckGo's HTML endpoint and parse the results page.
 *
 * - a non-2xx answer → `ctx.fail(…, { code: 'UPSTREAM_NON_2XX' })`, a terminal nack with a code;
 * - a bot check instead of results → terminal, `UPSTREAM_BLOCKED`;
 * - a network error or timeout → thrown, a retryable nack;
 * - a cancel → `ctx.signal` aborts the request.
 */
import { defineCapability, type HandlerContext, type InferInput } from '@holokai/neuron-sdk';
import { z } from 'zod';
import { isChallengePage, parseResults } from './parse.js';

export const DEFAULT_SEARCH_URL = 'https://html.duckduckgo.com/html/';

export const webSearch = defineCapability({
  type: 'examples/web-search',
  description: 'Searches the web (DuckDuckGo HTML results) and returns titles, URLs and snippets.',
  input: z.object({
    query: z.string().trim().min(1).max(500),
    limit: z.number().int().min(1).max(50).default(10),
  }),
  output: z.object({
    query: z.string(),
    results: z.array(z.object({ title: z.string(), url: z.string(), snippet: z.string() })),
  }),
  concurrency: 2,
});

export type SearchInput = InferInput<typeof webSearch>;

export interface SearchOptions {
  /** The results page to query; `?q=<query>` is added. @default DEFAULT_SEARCH_URL */
  baseUrl?: string;
  /** @default 15_000 */
  timeoutMs?: number;
}

export function createSearchHandler(options: SearchOptions = {}) {
  const baseUrl = options.baseUrl ?? DEFAULT_SEARCH_URL;
  const timeoutMs = options.timeoutMs ?? 15_000;

  return async function searchHandler({ query, limit }: SearchInput, ctx: HandlerContext) {
    const url = new URL(baseUrl);
    url.searchParams.set('q', query);
    const timeout = AbortSignal.timeout(timeoutMs);

    let response: Response;
    let html: string;
    try {
      response = await fetch(url, {
        headers: {
          'user-agent': 'Mozilla/5.0 (neuron-sdk web-search example)',
          accept: 'text/html',
        },
        signal: AbortSignal.any([ctx.signal, timeout]),
      });
      html = await response.text();
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (timeout.aborted) throw new Error(`${url.host} did not answer within ${timeoutMs} ms`);
      throw new Error(`searching ${url.host} failed: ${describe(err)}`); // retryable
    }

    if (!response.ok) {
      ctx.fail(`${url.host} answered ${response.status} ${response.statusText}`.trim(), {
        code: 'UPSTREAM_NON_2XX',
      });
    }
    const results = parseResults(html, limit);
    if (results.length === 0 && isChallengePage(html)) {
      ctx.fail(`${url.host} answered with a bot check instead of results`, {
        code: 'UPSTREAM_BLOCKED',
      });
    }
    ctx.log.info({ query, results: results.length }, 'searched');
    return { query, results };
  };
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(err);
}
