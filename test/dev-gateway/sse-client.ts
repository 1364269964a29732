/**
 * A bare HTTP client for driving the dev gateway the way a neuron would: an SSE reader over
 * node:http (no pooling, so nothing lingers after a test) and JSON request helpers.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { createParser } from 'eventsource-parser';
import type { CapabilityAdvertisement, RegisteredFrame } from '../../src/protocol/frames.js';
import { SDK_VERSION } from '../../src/version.js';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  /** `data` parsed as JSON. */
  frame: { type: string; [field: string]: unknown };
}

export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body of a non-200 answer. */
  body: string;
  /** Every event received, in order. */
  events: SseEvent[];
  /** Every `:` comment received, in order. */
  comments: string[];
  /** The `data` of events that were not JSON. */
  malformed: string[];
  /** Resolves when the stream ends, whoever ended it. */
  closed: Promise<void>;
  /** The first event of `type` (any type) not yet returned by `next`. One wait at a time. */
  next(type?: string, timeoutMs?: number): Promise<SseEvent>;
  /** The next `:` comment, from now on. */
  nextComment(timeoutMs?: number): Promise<string>;
  close(): void;
}

export interface ClientOptions {
  token?: string;
  lastEventId?: string;
}

export function openStream(
  baseUrl: string,
  neuronId: string | undefined,
  options: ClientOptions = {},
): Promise<SseStream> {
  const query = neuronId === undefined ? '' : `?neuronId=${encodeURIComponent(neuronId)}`;
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.lastEventId) headers['Last-Event-ID'] = options.lastEventId;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/neuron/events${query}`, { headers, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const malformed: string[] = [];
      const taken = new Set<number>();
      let wake: () => void = () => {};
      const changed = (): void => wake();
      const parser = createParser({
        onEvent: ({ id, event, data }) => {
          try {
            events.push({ id, event, data, frame: JSON.parse(data) });
          } catch {
            malformed.push(data);
          }
          changed();
        },
        onComment: (comment) => {
          comments.push(comment);
          changed();
        },
      });
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (res.statusCode === 200) parser.feed(chunk);
        else body += chunk;
      });
      const closed = new Promise<void>((done) => res.on('close', () => done()));
      res.on('error', () => {});
      /** Polls `find` on every new event or comment until it returns something. */
      const until = <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
        new Promise((found, fail) => {
          const check = (): boolean => {
            const hit = find();
            if (hit === undefined) return false;
            clearTimeout(timer);
            wake = () => {};
            found(hit);
            return true;
          };
          const timer = setTimeout(
            () => fail(new Error(`no ${what} within ${timeoutMs} ms`)),
            timeoutMs,
          );
          wake = () => void check();
          check();
        });
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        events,
        comments,
        malformed,
        closed,
        next: (type, timeoutMs = 2_000) =>
          until(
            () => {
              const index = events.findIndex(
                (e, i) => !taken.has(i) && (!type || e.frame.type === type),
              );
              if (index < 0) return undefined;
              taken.add(index);
              return events[index];
            },
            `'${type ?? 'any'}' event`,
            timeoutMs,
          ),
        nextComment: (timeoutMs = 2_000) => {
          const seen = comments.length;
          return until(() => comments[seen], 'comment', timeoutMs);
        },
        close: () => req.destroy(),
      };
      if (res.statusCode === 200) resolve(stream);
      else res.on('end', () => resolve(stream));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface JsonAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or `undefined` when the body was empty. */
  json: unknown;
}

/** POSTs `body` (an object as JSON, a string as is) to `/neuron/{path}`. */
export function post(
  baseUrl: string,
  path: string,
  body: unknown,
  options: ClientOptions = {},
): Promise<JsonAnswer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  return requestJson('POST', `${baseUrl}/neuron/${path}`, text, headers);
}

/** One request with `text` as its body; the answer's JSON parsed. */
export function requestJson(
  method: string,
  url: string,
  text: string,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        data += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          json: data ? JSON.parse(data) : undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end(text);
  });
}

export const echo: CapabilityAdvertisement = {
  type: 'examples/echo',
  scope: 'any',
  concurrency: 1,
};

export function registerFrame(neuronId: string, capabilities: CapabilityAdvertisement[] = [echo]) {
  return {
    type: 'register',
    neuronId,
    protocolVersion: '1.1.0',
    sdk: { name: '@holokai/neuron-sdk', version: SDK_VERSION, language: 'typescript' },
    capabilities,
  };
}

/** Opens a stream, registers, and waits for the `registered` frame. */
export async function connect(
  baseUrl: string,
  neuronId: string,
  capabilities: CapabilityAdvertisement[] = [echo],
  options: ClientOptions = {},
): Promise<{ stream: SseStream; registered: RegisteredFrame }> {
  const stream = await openStream(baseUrl, neuronId, options);
  const answer = await post(baseUrl, 'register', registerFrame(neuronId, capabilities), options);
  if (answer.status !== 202) throw new Error(`register answered ${answer.status}`);
  const registered = (await stream.next('registered')).frame as unknown as RegisteredFrame;
  return { stream, registered };
}
