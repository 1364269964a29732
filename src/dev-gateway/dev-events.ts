import type { ServerResponse } from 'node:http';
import type { DevGateway } from './gateway.js';
import { openEventStream, SSE_PING } from './http.js';
import type { DevGatewayEventName, DevGatewayEvents } from './types.js';

/**
 * The gateway events `GET /__dev__/events` forwards, each as `event: <name>` + `data: <json>`
 * with the payload of `gw.on(name)`. `request` and `frame` are left out: they are noisy, and a
 * request record carries unredacted headers.
 */
export const DEV_STREAM_EVENTS = [
  'task',
  'task:settled',
  'progress',
  'lease',
  'lease:reclaimed',
  'registered',
  'stream:open',
  'stream:close',
  'session:dropped',
  'identity:device-code',
  'identity:client',
] as const satisfies readonly DevGatewayEventName[];

export type DevStreamEventName = (typeof DEV_STREAM_EVENTS)[number];

const RECONNECT_HINT_MS = 1_000;

/** The open `/__dev__/events` streams; ended by `closeAll()` when the gateway closes. */
export class DevEventStreams {
  readonly #gw: DevGateway;
  readonly #pingIntervalMs: number;
  readonly #closers = new Set<() => void>();

  constructor(gw: DevGateway, pingIntervalMs: number) {
    this.#gw = gw;
    this.#pingIntervalMs = pingIntervalMs;
  }

  /**
   * Answers the open and forwards events until the client leaves or the gateway closes. With
   * `taskId`, only that task's events go out, and its current record is sent first, so a client
   * that subscribes after submitting misses nothing.
   */
  open(res: ServerResponse, taskId: string | undefined): void {
    openEventStream(res);
    // A browser's EventSource waits this long before reconnecting (3 s by default in Chromium):
    // a dashboard then finds a restarted `neuron dev` within a second.
    res.write(`retry: ${RECONNECT_HINT_MS}\n\n`);
    const write = (text: string): void => {
      if (!res.destroyed && !res.writableEnded) res.write(text);
    };
    const forward = <E extends DevStreamEventName>(name: E, payload: DevGatewayEvents[E]): void => {
      if (taskId !== undefined && (payload as { taskId?: unknown }).taskId !== taskId) return;
      write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    };
    const offs = DEV_STREAM_EVENTS.map((name) =>
      this.#gw.on(name, (payload) => forward(name, payload)),
    );
    const ping = setInterval(() => write(SSE_PING), this.#pingIntervalMs);
    const close = (): void => {
      if (!this.#closers.delete(close)) return;
      clearInterval(ping);
      for (const off of offs) off();
      res.end();
    };
    this.#closers.add(close);
    res.on('close', close);
    const current = taskId === undefined ? undefined : this.#gw.task(taskId);
    if (current) forward('task', current);
  }

  /** Ends every stream cleanly (the client sees the end of the body) and clears its ping. */
  closeAll(): void {
    for (const close of [...this.#closers]) close();
  }
}
