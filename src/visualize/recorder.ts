/**
 * Records one conversation between a real `Neuron` and the reference gateway, in the order it
 * happened: each request as the neuron's undici dispatcher sends it (method, path, headers, the
 * exact body), the gateway's answer as its request log records it, every frame the gateway
 * writes to the stream (or buffers while the stream is down), and streams opening and closing.
 * Both sides run in this process, so one event loop gives them a single order.
 */
import { Agent, type Dispatcher } from 'undici';
import type { DevGateway, GatewayPath, StreamCloseReason } from '../dev-gateway/index.js';
import type { InboundFrame } from '../protocol/frames.js';

export type Entry =
  | { kind: 'send'; method: string; path: string; headers: Record<string, string>; body: unknown }
  | { kind: 'answer'; path: GatewayPath | 'unknown'; status: number }
  | { kind: 'frame'; frame: InboundFrame; id: string | undefined; buffered: boolean }
  | { kind: 'stream-open'; lastEventId: string | undefined; resumed: boolean; replayed: number }
  | { kind: 'stream-close'; reason: StreamCloseReason }
  | { kind: 'note'; text: string; over: Participant }
  /** A call the scenario makes (`neuron.stop()`, `gw.cancelTask()`): a self-message. */
  | { kind: 'step'; text: string; on: Participant };

export type Participant = 'Neuron' | 'Gateway';

export interface Recorder {
  /** Give this to the neuron (`dispatcher` option): it sees every request the neuron sends. */
  readonly dispatcher: Dispatcher;
  readonly entries: readonly Entry[];
  /** A remark about what happens inside a participant (`handler running`). */
  note(text: string, over: Participant): void;
  /** A call the scenario makes on a participant, drawn where it happened. */
  step(text: string, on: Participant): void;
  /** Stops listening to the gateway and closes the dispatcher's sockets. */
  close(): Promise<void>;
}

export function createRecorder(gw: DevGateway, neuronId: string): Recorder {
  const entries: Entry[] = [];
  let streamOpen = false;
  let recording = true;
  const push = (entry: Entry) => {
    if (recording) entries.push(entry);
  };

  const agent = new Agent({ keepAliveTimeout: 1_000 });
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    push({
      kind: 'send',
      method: options.method,
      path: options.path,
      headers: headersOf(options.headers),
      body: bodyOf(options.body),
    });
    return dispatch(options, handler);
  });

  const unsubscribe = [
    gw.on('request', (r) => {
      if (r.neuronId === undefined || r.neuronId === neuronId) {
        push({ kind: 'answer', path: r.path, status: r.status });
      }
    }),
    gw.on('frame', (e) => {
      if (e.neuronId === neuronId) {
        push({ kind: 'frame', frame: e.frame, id: e.id, buffered: !streamOpen });
      }
    }),
    gw.on('stream:open', (e) => {
      if (e.neuronId !== neuronId) return;
      streamOpen = true;
      push({
        kind: 'stream-open',
        lastEventId: e.lastEventId,
        resumed: e.resumed,
        replayed: e.replayed,
      });
    }),
    gw.on('stream:close', (e) => {
      if (e.neuronId !== neuronId) return;
      streamOpen = false;
      push({ kind: 'stream-close', reason: e.reason });
    }),
  ];

  return {
    dispatcher,
    entries,
    note: (text, over) => push({ kind: 'note', text, over }),
    step: (text, on) => push({ kind: 'step', text, on }),
    async close() {
      recording = false;
      for (const off of unsubscribe) off();
      await agent.close();
    },
  };
}

function headersOf(headers: Dispatcher.DispatchOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === null || headers === undefined) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    }
    return out;
  }
  const entries =
    Symbol.iterator in headers
      ? [...(headers as Iterable<[string, string | string[] | undefined]>)]
      : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value !== undefined)
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function bodyOf(body: Dispatcher.DispatchOptions['body']): unknown {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body).toString('utf8');
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
