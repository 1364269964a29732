/**
 * What ends a request early: its deadline (`requestTimeoutMs`), or the transport's `close()` /
 * `stop()`. Per POST this costs one small object and two `Set` operations: no `AbortController`
 * (an `EventTarget` that Node backs with two `Map`s) and no timer of its own, since one timer per
 * transport, armed for the earliest deadline, serves every request in flight.
 */

/**
 * One request's cancellation. undici takes it as its `signal` in the `EventEmitter` form it
 * accepts (`on` / `once` / `removeListener`, `aborted`, `reason`); `fetchClient` turns it into an
 * `AbortSignal`.
 */
export class Cancellation {
  aborted = false;
  /** Set when the deadline passed, before the listeners hear of it. */
  timedOut = false;
  /** What the request rejects with when cancelled other than by its deadline. */
  reason: Error | undefined = undefined;
  /** `performance.now()` time of the deadline; set by `Deadlines.arm`. */
  deadline = Number.POSITIVE_INFINITY;
  /** Rarely more than one at a time (the `auth` wait, then the request): an array is enough. */
  #listeners: Array<() => void> = [];

  /** Aborts the request at once; later calls do nothing. */
  cancel(reason?: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }

  /** undici's `EventEmitter` form of a signal; `abort` is the only event, and it fires once. */
  once(_event: 'abort', listener: () => void): this {
    this.#listeners.push(listener);
    return this;
  }

  on(event: 'abort', listener: () => void): this {
    return this.once(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    const at = this.#listeners.indexOf(listener);
    if (at !== -1) this.#listeners.splice(at, 1);
    return this;
  }
}

/** The deadlines of one transport's requests in flight, on one timer. */
export class Deadlines {
  readonly #pending = new Set<Cancellation>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires; a new deadline later than this (the usual case) needs no re-arming. */
  #timerAt = Number.POSITIVE_INFINITY;

  /** Times `request` out `timeoutMs` from now unless `release`d first; again, to start anew. */
  arm(request: Cancellation, timeoutMs: number): void {
    // Already cancelled (a 401 retry after `close()`): it fails at once, with no timer left behind.
    if (request.aborted) return;
    request.deadline = performance.now() + timeoutMs;
    this.#pending.add(request);
    if (request.deadline < this.#timerAt) this.#schedule(request.deadline);
  }

  /**
   * The request is done. The timer is left as it is: when it fires it finds nothing due and
   * re-arms for the earliest deadline left, if any, which is cheaper than re-arming per request.
   */
  release(request: Cancellation): void {
    this.#pending.delete(request);
  }

  /** `close()`: cancels every request in flight and clears the timer. */
  cancelAll(reason: Error): void {
    const pending = [...this.#pending];
    this.#pending.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    for (const request of pending) request.cancel(reason);
  }

  #schedule(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    // Timers count whole ms and may fire a fraction early: a deadline not yet due re-arms.
    this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(at - performance.now())));
    // Never what keeps a process alive: a request in flight has a socket that does.
    unref(this.#timer);
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const request of this.#pending) {
      if (request.deadline <= now) {
        this.#pending.delete(request);
        request.timedOut = true;
        request.cancel();
      } else if (request.deadline < next) {
        next = request.deadline;
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.#schedule(next);
  };
}

/** Node's timers can be unref'd; a browser's are plain numbers. */
function unref(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer) {
    if (typeof timer.unref === 'function') timer.unref();
  }
}
