/**
 * A client of the dev gateway's `/__dev__/…` API over node:http, one connection per request
 * (no pool: a CLI process exits as soon as it is done). Failures become one-line `CliError`s.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createParser } from 'eventsource-parser';
import { CliError, ExitCode, withoutFinalStop } from './errors.js';
import type { CliIo } from './io.js';
import { resolveGatewayUrl } from './options.js';

/** How long a plain request may take before the gateway counts as unreachable. */
const REQUEST_TIMEOUT_MS = 10_000;
const START_HINT =
  'start one with `npx neuron dev`, or point --gateway / BIGBRAIN_GATEWAY_URL at it';
/** Dev API error codes that mean "no such thing" rather than a broken request. */
const NOT_FOUND_CODES = new Set([
  'TASK_NOT_FOUND',
  'NEURON_NOT_FOUND',
  'NOT_SERVED',
  'USER_CODE_NOT_FOUND',
  'CLIENT_NOT_FOUND',
]);

export interface DevClient {
  readonly baseUrl: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /**
   * Follows `/__dev__/events` (with `query`, e.g. `?taskId=t-1`), calling `onEvent` for each
   * event, until the stream ends (`'ended'`) or `signal` aborts (`'aborted'`). `onOpen` runs once
   * the gateway has answered, subscribed: a list fetched from then on misses no change. A
   * rejection of `onOpen` ends the follow with it.
   */
  follow(
    query: string,
    onEvent: (name: string, data: unknown) => void,
    signal: AbortSignal,
    onOpen?: () => Promise<void> | void,
  ): Promise<'ended' | 'aborted'>;
}

/** The client of the gateway `--gateway` names, else `BIGBRAIN_GATEWAY_URL`, else the default. */
export function devClientFor(io: CliIo, gateway: string | undefined): DevClient {
  const baseUrl = resolveGatewayUrl(io, gateway);
  const url = (path: string) => `${baseUrl}/__dev__${path}`;
  return {
    baseUrl,
    get: (path) => exchange(baseUrl, 'GET', url(path)),
    post: (path, body = {}) => exchange(baseUrl, 'POST', url(path), JSON.stringify(body)),
    follow: (query, onEvent, signal, onOpen) =>
      follow(baseUrl, url(`/events${query}`), onEvent, signal, onOpen),
  };
}

function send(
  baseUrl: string,
  method: string,
  target: string,
  body: string | undefined,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<IncomingMessage> {
  const request = target.startsWith('https:') ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers, agent: false, signal: options.signal }, resolve);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => {
        const message = `the gateway at ${baseUrl} did not answer within ${options.timeoutMs} ms; is it a \`neuron dev\` gateway?`;
        req.destroy(new CliError(ExitCode.UNREACHABLE, message));
      });
    }
    req.on('error', (err) => reject(networkError(baseUrl, err)));
    req.end(body);
  });
}

async function exchange<T>(baseUrl: string, method: string, target: string, body?: string) {
  const res = await send(baseUrl, method, target, body, { timeoutMs: REQUEST_TIMEOUT_MS });
  const text = await readAll(res);
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        ExitCode.ERROR,
        `the gateway at ${baseUrl} answered ${status} without JSON`,
      );
    }
  }
  throw statusError(baseUrl, status, text);
}

function follow(
  baseUrl: string,
  target: string,
  onEvent: (name: string, data: unknown) => void,
  signal: AbortSignal,
  onOpen?: () => Promise<void> | void,
): Promise<'ended' | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return send(baseUrl, 'GET', target, undefined, { signal }).then(
    async (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) throw statusError(baseUrl, status, await readAll(res));
      const parser = createParser({
        onEvent: ({ event, data }) => onEvent(event ?? 'message', JSON.parse(data)),
      });
      res.setEncoding('utf8');
      const closed = new Promise<'ended' | 'aborted'>((resolve) => {
        res.on('error', () => {});
        res.on('close', () => resolve(signal.aborted ? 'aborted' : 'ended'));
      });
      try {
        await onOpen?.();
      } catch (err) {
        res.destroy();
        throw err;
      }
      // Events that came during onOpen were buffered in the paused response: none is lost.
      res.on('data', (chunk: string) => parser.feed(chunk));
      return closed;
    },
    (err) => {
      if (signal.aborted) return 'aborted';
      throw err;
    },
  );
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
    });
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}

/** A non-2xx answer as a CliError: the dev API's own message, or why this is no dev gateway. */
function statusError(baseUrl: string, status: number, text: string): CliError {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {}
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : undefined;
  if (status === 404 && code === 'IDENTITY_DISABLED') {
    return new CliError(
      ExitCode.ERROR,
      `${withoutFinalStop(message ?? 'no identity provider')} (${code})`,
    );
  }
  if (status === 404 && (code === undefined || !NOT_FOUND_CODES.has(code))) {
    const what = `${baseUrl} has no dev API (/__dev__/… answered 404)`;
    return new CliError(ExitCode.ERROR, `${what}; is it a \`neuron dev\` gateway? ${START_HINT}`);
  }
  const exitCode =
    status === 404 ? ExitCode.NOT_FOUND : status === 400 ? ExitCode.USAGE : ExitCode.ERROR;
  const detail = withoutFinalStop(message ?? `status ${status}`);
  return new CliError(exitCode, code ? `${detail} (${code})` : detail);
}

function networkError(baseUrl: string, err: Error): Error {
  if (err instanceof CliError || err.name === 'AbortError') return err;
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  return new CliError(
    ExitCode.UNREACHABLE,
    `no gateway answers at ${baseUrl} (${code}); ${START_HINT}`,
  );
}
