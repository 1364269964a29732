import type { DevGatewayEventName, DevGatewayEvents, WaitOptions } from './types.js';

/** `waitFor` / `waitForTask` saw no match in time (`timeout`), or the gateway closed first. */
export class WaitError extends Error {
  readonly reason: 'timeout' | 'closed';
  constructor(reason: 'timeout' | 'closed', message: string) {
    super(message);
    this.name = 'WaitError';
    this.reason = reason;
  }
}

type Listener<E extends DevGatewayEventName> = (payload: DevGatewayEvents[E]) => void;
type AnyListener = (payload: never) => void;

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * A small typed emitter. A throwing listener is isolated (reported on `console.error`) so a
 * test's listener cannot break the gateway's request handling.
 */
export class GatewayEmitter {
  readonly #listeners = new Map<DevGatewayEventName, Set<AnyListener>>();
  /** Pending `waitFor`s, so `close()` can reject them and clear their timers. */
  readonly #waits = new Set<(err: Error) => void>();

  on<E extends DevGatewayEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as AnyListener);
    return () => set.delete(listener as AnyListener);
  }

  emit<E extends DevGatewayEventName>(event: E, payload: DevGatewayEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E>)(payload);
      } catch (err) {
        console.error(`dev gateway: a '${event}' listener threw`, err);
      }
    }
  }

  /**
   * The next `event` whose payload satisfies `predicate`. Only events emitted after the call
   * count: call it before the action that causes the event.
   */
  waitFor<E extends DevGatewayEventName>(
    event: E,
    predicate: (payload: DevGatewayEvents[E]) => boolean = () => true,
    options: WaitOptions & { describe?: (timeoutMs: number) => string } = {},
  ): Promise<DevGatewayEvents[E]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        off();
        this.#waits.delete(fail);
      };
      const fail = (err: Error): void => {
        finish();
        reject(err);
      };
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        finish();
        resolve(payload);
      });
      const timer = setTimeout(() => {
        const what =
          options.describe?.(timeoutMs) ?? `no matching '${event}' event within ${timeoutMs} ms`;
        fail(new WaitError('timeout', `dev gateway: ${what}`));
      }, timeoutMs);
      this.#waits.add(fail);
    });
  }

  /** Rejects every pending wait and forgets every listener. */
  close(): void {
    for (const fail of [...this.#waits]) {
      fail(new WaitError('closed', 'dev gateway: closed while waiting'));
    }
    this.#listeners.clear();
  }
}
