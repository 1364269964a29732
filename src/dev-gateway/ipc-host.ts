/**
 * The dev gateway's IPC side: a `NeuronIpcBridge` served in-process (`gw.ipcBridge()`), for tests
 * and for an Electron main process that embeds the gateway and serves its renderers' neurons over
 * `ipcMain`. It is the HTTP side without the sockets, so both kinds of neuron share one set of
 * books:
 *
 * - `attach` opens the neuron's channel in the hub as `GET /neuron/events` does: same event ids,
 *   replay buffer, session resume, `stream:open`; a second attach replaces the first (`replaced`)
 *   and `detach` ends it as a client closing its stream (`client`). Like an `EventSource`, the
 *   bridge resumes after the last event id it delivered to that neuron.
 * - `invoke` answers as `POST /neuron/{path}` does, in the router's order: path, body size (the
 *   frame as JSON), scripted fault (`failNext`), frame checks and handlers. It is recorded in
 *   `gw.requests` with `via: 'ipc'` and no headers.
 *
 * Auth: the bridge is the host's own, trusted caller, taken as the holder of the static dev token.
 * No token is checked, and with the identity provider on, its frames carry that token's `service`
 * identity (AUTH.md §5: `core/*` is open to it). Whatever reaches the bridge acts as that service,
 * so a host exposes it only to its own renderers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IpcAnswer, NeuronIpcBridge } from '../ipc/bridge.js';
import {
  type ClientFrame,
  GatewayErrorCode,
  type InboundFrame,
  type PostPath,
  type ServerToNeuronFrame,
} from '../protocol/frames.js';
import { handlePost } from './handlers.js';
import { type Answer, errorAnswer } from './http.js';
import { STATIC_IDENTITY } from './identity/authenticate.js';
import { type RouterContext, toPath } from './router.js';
import type { StreamSink } from './sse.js';
import type { RequestRecord } from './types.js';

type Subscriber = (frame: ServerToNeuronFrame) => void;

/** One channel name's subscribers, and what the bridge remembers about its neuron. */
interface Channel {
  readonly subscribers: Set<Subscriber>;
  /** The current attachment, until `detach` or a newer `attach`. */
  sink?: IpcSink;
  /** The id of the last event delivered: sent back on the next attach, as `Last-Event-ID`. */
  lastEventId?: string;
}

export function createIpcBridge(ctx: RouterContext): NeuronIpcBridge {
  const channels = new Map<string, Channel>();
  const channelOf = (name: string): Channel => {
    const found = channels.get(name);
    if (found) return found;
    const created: Channel = { subscribers: new Set() };
    channels.set(name, created);
    return created;
  };
  const identity = ctx.identity ? STATIC_IDENTITY : undefined;
  const record = (entry: Omit<RequestRecord, 'headers' | 'via'>): void =>
    ctx.record({ ...entry, headers: {}, via: 'ipc' });
  const open = (): void => {
    if (ctx.hub.closed) throw new Error('the dev gateway is closed');
  };

  return {
    async attach(neuronId) {
      open();
      if (typeof neuronId !== 'string' || neuronId === '') {
        throw new Error('attach(neuronId): neuronId must be a non-empty string');
      }
      const url = `/neuron/events?neuronId=${encodeURIComponent(neuronId)}`;
      const base = { method: 'GET', path: 'events' as const, url, neuronId, at: Date.now() };
      const fault = ctx.faults.take('events');
      if (fault) {
        await hold(fault);
        record({ ...base, status: fault.status });
        throw new Error(`attach refused by a scripted fault: ${fault.status}`);
      }
      const name = `neuron:${neuronId}`;
      const channel = channelOf(name);
      const sink = new IpcSink(channel);
      channel.sink = sink;
      ctx.hub.openStream(neuronId, sink, channel.lastEventId, identity);
      record({ ...base, status: 200 });
      return { channel: name };
    },

    async detach(neuronId) {
      const channel = channels.get(`neuron:${neuronId}`);
      const sink = channel?.sink;
      if (!channel || !sink) return;
      delete channel.sink;
      sink.close();
    },

    subscribe(name, cb) {
      const channel = channelOf(name);
      channel.subscribers.add(cb);
      // Frames sent between `attach` and this call (a replay) were held for the subscriber.
      channel.sink?.flush();
      return () => {
        channel.subscribers.delete(cb);
      };
    },

    async invoke(path: PostPath, frame: ClientFrame): Promise<IpcAnswer> {
      open();
      const at = Date.now();
      const postPath = toPath(path);
      const url = `/neuron/${path}`;
      const base = { method: 'POST', path: postPath ?? ('unknown' as const), url, at };
      const text = json(frame);
      const body: unknown = text === undefined ? undefined : JSON.parse(text);
      const neuronId = (body as { neuronId?: unknown } | undefined)?.neuronId;
      const extra = {
        ...(typeof neuronId === 'string' && { neuronId }),
        ...(text !== undefined && { body }),
      };
      const answer = await answerPost(ctx, postPath, text, body, identity);
      record({ ...base, ...extra, status: answer.status });
      answer.afterSend?.();
      return ipcAnswer(answer);
    },
  };
}

/** The router's checks and handlers for one POST, in its order (no auth: see the top). */
async function answerPost(
  ctx: RouterContext,
  path: ReturnType<typeof toPath>,
  text: string | undefined,
  body: unknown,
  identity: typeof STATIC_IDENTITY | undefined,
): Promise<Answer> {
  if (path === undefined || path === 'events') {
    return errorAnswer(404, 'NOT_FOUND', `no route for /neuron/${String(path)}`);
  }
  const limit = ctx.hub.options.maxBodyBytes;
  if (text !== undefined && Buffer.byteLength(text) > limit) {
    return errorAnswer(413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${limit} bytes`);
  }
  const fault = ctx.faults.take(path);
  if (fault) {
    await hold(fault);
    return fault;
  }
  if (text === undefined) {
    return errorAnswer(400, GatewayErrorCode.INVALID_FRAME, 'the body is not JSON');
  }
  return handlePost(ctx.hub, path, body, identity);
}

/** A `delayMs` fault holds its answer, as the HTTP side holds the response. */
async function hold(answer: Answer): Promise<void> {
  if (answer.delayMs !== undefined && answer.delayMs > 0) await sleep(answer.delayMs);
}

/** The frame as the HTTP side would have read it, or `undefined` when it is not JSON. */
function json(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function ipcAnswer({ status, body, headers }: Answer): IpcAnswer {
  const retryAfter = headers?.['Retry-After'];
  return {
    status,
    // A copy, as a response body is: the neuron's side never holds the gateway's own objects.
    ...(body !== undefined && { body: JSON.parse(JSON.stringify(body)) as unknown }),
    ...(retryAfter !== undefined && { retryAfter }),
  };
}

/**
 * One attachment as the hub's channel sees it. Frames go out on the next turn of the event loop,
 * in order, as from a socket: never inside the hub's own call (a neuron answering a lease at once
 * would re-enter dispatch), and a replay written during `attach` waits for the subscriber.
 */
class IpcSink implements StreamSink {
  readonly #channel: Channel;
  readonly #closeListeners: Array<() => void> = [];
  readonly #outbox: Array<{ frame: InboundFrame; id: string | undefined }> = [];
  #drain: NodeJS.Immediate | undefined;
  #ended = false;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  get writable(): boolean {
    return !this.#ended;
  }

  event(frame: InboundFrame, id: string | undefined): void {
    this.#outbox.push({ frame, id });
    this.flush();
  }

  /** Pings and raw SSE text have no meaning here: an IPC channel is never idle-timed-out. */
  raw(): void {}

  /** What was written before the end still goes out (a `disconnect` frame, then the end). */
  end(): void {
    this.#ended = true;
  }

  destroy(): void {
    this.#ended = true;
    this.#outbox.length = 0;
    clearImmediate(this.#drain);
    this.#drain = undefined;
  }

  onClose(listener: () => void): void {
    this.#closeListeners.push(listener);
  }

  /** The neuron detached: as a client closing its stream, the hub's channel lets go of it. */
  close(): void {
    this.destroy();
    for (const listener of this.#closeListeners) listener();
  }

  flush(): void {
    if (this.#drain || this.#outbox.length === 0 || this.#channel.subscribers.size === 0) return;
    this.#drain = setImmediate(() => {
      this.#drain = undefined;
      for (const { frame, id } of this.#outbox.splice(0)) this.#deliver(frame, id);
    });
  }

  #deliver(frame: InboundFrame, id: string | undefined): void {
    if (id !== undefined) this.#channel.lastEventId = id;
    const text = JSON.stringify(frame);
    for (const cb of this.#channel.subscribers) {
      try {
        // Each subscriber gets its own copy, as each SSE client parses its own.
        cb(JSON.parse(text) as ServerToNeuronFrame);
      } catch {
        // A subscriber's failure is its own: the others, and the gateway, go on.
      }
    }
  }
}
