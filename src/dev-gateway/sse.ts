import type { ServerResponse } from 'node:http';
import type { InboundFrame } from '../protocol/frames.js';
import { openEventStream, SSE_PING } from './http.js';
import type { StreamCloseReason } from './types.js';

/**
 * Where a channel's current stream goes: the SSE response (`responseSink`), or the in-process
 * IPC bridge (ipc-host.ts), which passes frames on as objects. Both share the channel's ids,
 * replay buffer and close bookkeeping.
 */
export interface StreamSink {
  /** Neither ended nor destroyed. */
  readonly writable: boolean;
  event(frame: InboundFrame, id: string | undefined): void;
  /** Text as is (pings, `sendRaw`); a sink that carries frames, not text, ignores it. */
  raw(text: string): void;
  /** Ends the stream cleanly. */
  end(): void;
  /** Cuts it without a word: a network drop. */
  destroy(): void;
  /** `listener` runs when the neuron's side goes away. */
  onClose(listener: () => void): void;
}

/** Answers the open of an SSE stream (headers now) and writes the channel's events to it. */
export function responseSink(res: ServerResponse): StreamSink {
  openEventStream(res);
  return {
    get writable() {
      return !res.destroyed && !res.writableEnded;
    },
    event: (frame, id) => res.write(format(frame, id)),
    raw: (text) => res.write(text),
    end: () => res.end(),
    destroy: () => res.destroy(),
    onClose: (listener) => res.on('close', listener),
  };
}

/** An event kept for replay: only events with an `id` can be asked for again. */
export interface BufferedEvent {
  id: string;
  frame: InboundFrame;
}

export interface SseChannelOptions {
  pingIntervalMs: number;
  /** Most events kept for replay. */
  bufferSize: number;
  /** The current stream ended, for whatever reason (called once per stream). */
  onClose: (reason: StreamCloseReason) => void;
}

/**
 * One neuron's server→neuron channel. It outlives its streams: the event-id sequence and the
 * replay buffer carry over from one stream to the next, so ids stay monotonic per neuron and
 * a re-open can resume after the last id it saw.
 */
export class SseChannel {
  readonly #options: SseChannelOptions;
  #res: StreamSink | undefined;
  #ping: NodeJS.Timeout | undefined;
  #stalled = false;
  #seq = 0;
  #lastId: string | undefined;
  #buffer: BufferedEvent[] = [];

  constructor(options: SseChannelOptions) {
    this.#options = options;
  }

  get open(): boolean {
    return this.#res !== undefined;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  /** The id of the last event sent (or buffered) on this channel. */
  get lastEventId(): string | undefined {
    return this.#lastId;
  }

  /** Makes `res` the current stream, ending the previous one. */
  attach(res: StreamSink): void {
    this.end('replaced');
    this.#res = res;
    res.onClose(() => {
      if (this.#res === res) this.#detach('client');
    });
    this.#ping = setInterval(() => this.writeRaw(SSE_PING), this.#options.pingIntervalMs);
  }

  /** The next id of the per-neuron sequence. */
  nextId(): string {
    this.#seq += 1;
    return String(this.#seq);
  }

  /**
   * Writes one event. An event with an `id` is also buffered for replay, so it is kept even
   * while the stream is closed or stalled. Returns whether it reached the socket.
   */
  send(frame: InboundFrame, id?: string): boolean {
    if (id !== undefined) {
      this.#lastId = id;
      this.#buffer.push({ id, frame });
      if (this.#buffer.length > this.#options.bufferSize) this.#buffer.shift();
    }
    return this.#write((res) => res.event(frame, id));
  }

  /**
   * Re-sends the buffered events after `lastEventId`, each passed through `filter` first (it
   * may drop the event or return an updated frame). An id no longer buffered but within the
   * sequence replays everything newer; an id this channel never issued replays nothing.
   */
  replay(lastEventId: string, filter: (event: BufferedEvent) => InboundFrame | undefined): number {
    const index = this.#buffer.findIndex((event) => event.id === lastEventId);
    const last = Number(lastEventId);
    const after =
      index >= 0
        ? this.#buffer.slice(index + 1)
        : Number.isInteger(last) && last <= this.#seq
          ? this.#buffer.filter((event) => Number(event.id) > last)
          : [];
    let count = 0;
    for (const event of after) {
      const frame = filter(event);
      if (frame === undefined) continue;
      this.#write((res) => res.event(frame, event.id));
      count += 1;
    }
    return count;
  }

  /** Forgets the replay buffer (the session it belonged to is gone). */
  clearBuffer(): void {
    this.#buffer = [];
  }

  /** Writes `text` as is; nothing is written while stalled or closed. */
  writeRaw(text: string): boolean {
    return this.#write((res) => res.raw(text));
  }

  #write(write: (res: StreamSink) => void): boolean {
    const res = this.#res;
    if (!res || this.#stalled || !res.writable) return false;
    write(res);
    return true;
  }

  /** Stops every write, pings included, and keeps the socket open (a silent dead stream). */
  stall(): void {
    if (!this.#res) return;
    this.#stalled = true;
    clearInterval(this.#ping);
  }

  /** Ends the current stream cleanly (the chunked terminator is sent). */
  end(reason: StreamCloseReason): void {
    this.#detach(reason)?.end();
  }

  /** Destroys the current stream's socket without a word: a network drop. */
  drop(): void {
    this.#detach('dropped')?.destroy();
  }

  #detach(reason: StreamCloseReason): StreamSink | undefined {
    const res = this.#res;
    if (!res) return undefined;
    this.#res = undefined;
    this.#stalled = false;
    clearInterval(this.#ping);
    this.#options.onClose(reason);
    return res;
  }
}

function format(frame: InboundFrame, id: string | undefined): string {
  // JSON.stringify never emits a raw newline, so one `data:` line always suffices.
  const head = id === undefined ? '' : `id: ${id}\n`;
  return `${head}event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`;
}
