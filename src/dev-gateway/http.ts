import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayErrorBody } from '../protocol/frames.js';

/** What a handler decided to answer. */
export interface Answer {
  status: number;
  /** Sent as JSON; no body when undefined. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Runs once the answer is written (the `registered` frame follows the register 202). */
  afterSend?: () => void;
  /** Hold the answer this long first (a `delayMs` fault: a slow or hung gateway). */
  delayMs?: number;
}

export function errorAnswer(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Answer {
  const body: GatewayErrorBody = { error: { code, message } };
  return { status, body, ...(headers && { headers }) };
}

export function send(res: ServerResponse, answer: Answer): void {
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...(text && { 'Content-Type': 'application/json' }),
    'Content-Length': Buffer.byteLength(text),
    ...answer.headers,
  });
  res.end(text);
}

/** The keep-alive comment written to every SSE stream. */
export const SSE_PING = ': ping\n\n';

/** Answers the open of an SSE stream; headers now, so the client sees it before any event. */
export function openEventStream(res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
}

/** The body as text, or `undefined` once it passes `limit` bytes (the rest is discarded). */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    if (tooLarge) resolve(undefined);
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Lowercased header names (Node's own), repeated values joined. */
export function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1]?.trim();
}
