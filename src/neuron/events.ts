import { EventEmitter } from 'eventemitter3';
import type { Outcome, Settlement } from '../../machines/lease.js';
import type { EffectiveCapability, InboundFrame, RejectedCapability } from '../protocol/frames.js';
import type { ReconnectInfo } from '../transport/types.js';
import type { LoopBlockedInfo } from './watchdog.js';

export interface RegisteredInfo {
  sessionId: string;
  /** How many capabilities the gateway made effective. */
  capabilities: number;
  /** The effective capabilities, after the gateway's policy filters. */
  effective: EffectiveCapability[];
  /** The ones it filtered, with why. */
  rejected: RejectedCapability[];
}

export interface LeaseReceivedInfo {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  /** The task's delivery attempt (1, 2, …), when the gateway sent one. */
  attempt: number | undefined;
  /** A replay of a lease this neuron holds or has settled: ignored. */
  duplicate: boolean;
}

export interface LeaseSettledInfo {
  leaseId: string;
  taskId: string;
  capabilityType: string;
  /** What was (or was to be) posted; undefined for a lease that expired queued or was lost. */
  outcome: Outcome | undefined;
  /** Whether the outcome reached the gateway. */
  settlement: Settlement;
  /** How long the handler ran, in ms (0 if it never ran). */
  durationMs: number;
}

/** Every event a `Neuron` emits, with its listener's arguments. */
export interface NeuronEventMap {
  /** The SSE handshake succeeded; `register` is about to be posted. */
  'connection:open': [];
  /** The gateway accepted the registration (`registered` frame). */
  'connection:registered': [info: RegisteredInfo];
  /** The SSE stream ended (clean shutdown or transient error). */
  'connection:close': [reason: string];
  /** A reconnect is scheduled, before its delay. */
  'connection:reconnecting': [info: ReconnectInfo];
  /** A transport, parse or registration error (reconnecting is automatic). */
  error: [err: Error];
  /** Every parsed inbound frame, unknown types included. */
  frame: [frame: InboundFrame];
  /** A lease frame arrived. */
  'lease:received': [info: LeaseReceivedInfo];
  /** A lease ended: its outcome was posted, dropped, or never due. */
  'lease:settled': [info: LeaseSettledInfo];
  /**
   * The event loop was blocked long enough to put leases at risk (their heartbeat was late): once
   * per episode. Move CPU-heavy handler work off the loop (worker threads).
   */
  'loop:blocked': [info: LoopBlockedInfo];
}

export type NeuronEventName = keyof NeuronEventMap;

/**
 * A listener of one event. Checked like a method (bivariantly), as DOM and Node listeners are: a
 * `frame` listener that declares the reference's `ServerToNeuronFrame` compiles, though frames of
 * a type this SDK does not know (`UnknownServerFrame`) reach it too.
 */
export type NeuronListener<E extends NeuronEventName> = {
  listener(...args: EventEmitter.EventArgs<NeuronEventMap, E>): void;
}['listener'];

/** Removes the listener that `on()` or `once()` added. */
export type Unsubscribe = () => void;

/**
 * What `on()` and `once()` return: the emitter, so calls chain as on any EventEmitter
 * (`neuron.on(a, f).on(b, g)`), and at the same time a function that removes the listener just
 * added (`const off = neuron.on(a, f); off()`).
 */
export type Subscription<T> = T & Unsubscribe;

type AnyListener = (...args: never) => void;

/**
 * eventemitter3's `EventEmitter` with the neuron's typed event map. Two things differ: a listener
 * that throws is reported through `listenerThrew` and the other listeners still run (the neuron
 * emits from inside its state machines, which a listener must not break); and `on()` / `once()`
 * return a `Subscription`. `addListener` and `removeListener` are `on` and `off`, as in
 * eventemitter3; `emit`, `listenerCount`, `eventNames` and `removeAllListeners` are its own.
 */
export abstract class NeuronEmitter extends EventEmitter<NeuronEventMap> {
  /** listener → the guard registered for it, per event (one guard per pair, reused). */
  readonly #guards = new WeakMap<AnyListener, Map<NeuronEventName, AnyListener>>();
  /** guard → the listener it calls, for `listeners()`. */
  readonly #guarded = new WeakMap<AnyListener, AnyListener>();

  /** A listener threw. (A listener's rejected promise is its own: listeners are not awaited.) */
  protected abstract listenerThrew(event: NeuronEventName, err: unknown): void;

  override on<E extends NeuronEventName>(
    event: E,
    listener: NeuronListener<E>,
    context?: unknown,
  ): Subscription<this> {
    super.on(event, this.#guard(event, listener), context);
    return subscription(this, () => this.off(event, listener, context));
  }

  override addListener<E extends NeuronEventName>(
    event: E,
    listener: NeuronListener<E>,
    context?: unknown,
  ): Subscription<this> {
    return this.on(event, listener, context);
  }

  override once<E extends NeuronEventName>(
    event: E,
    listener: NeuronListener<E>,
    context?: unknown,
  ): Subscription<this> {
    super.once(event, this.#guard(event, listener), context);
    return subscription(this, () => this.off(event, listener, context, true));
  }

  /** Without a listener, removes every listener of `event` (eventemitter3's rule). */
  override off<E extends NeuronEventName>(
    event: E,
    listener?: NeuronListener<E>,
    context?: unknown,
    once?: boolean,
  ): this {
    const guard = listener && (this.#guards.get(listener)?.get(event) ?? listener);
    super.off(
      event,
      guard as EventEmitter.EventListener<NeuronEventMap, E> | undefined,
      context,
      once,
    );
    return this;
  }

  override removeListener<E extends NeuronEventName>(
    event: E,
    listener?: NeuronListener<E>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.off(event, listener, context, once);
  }

  /** The listeners as they were added (not the guards that call them). */
  override listeners<E extends NeuronEventName>(
    event: E,
  ): Array<EventEmitter.EventListener<NeuronEventMap, E>> {
    return super
      .listeners(event)
      .map((guard) => (this.#guarded.get(guard) ?? guard) as typeof guard);
  }

  #guard<E extends NeuronEventName>(
    event: E,
    listener: NeuronListener<E>,
  ): EventEmitter.EventListener<NeuronEventMap, E> {
    let byEvent = this.#guards.get(listener);
    if (!byEvent) {
      byEvent = new Map();
      this.#guards.set(listener, byEvent);
    }
    let guard = byEvent.get(event);
    if (!guard) {
      const reportTo = this;
      // A `function`, so eventemitter3's `context` reaches the listener as its `this`.
      guard = function (this: unknown, ...args: unknown[]): void {
        try {
          Reflect.apply(listener, this, args);
        } catch (err) {
          reportTo.listenerThrew(event, err);
        }
      } as AnyListener;
      byEvent.set(event, guard);
      this.#guarded.set(guard, listener);
    }
    return guard as EventEmitter.EventListener<NeuronEventMap, E>;
  }
}

/**
 * `unsubscribe`, callable as it is, that otherwise stands for `emitter`: its methods (bound to
 * it, private fields and all), its properties and its prototype, so `instanceof` holds too.
 */
function subscription<T extends object>(emitter: T, unsubscribe: Unsubscribe): Subscription<T> {
  return new Proxy(unsubscribe, {
    get(target, key) {
      if (!(key in emitter)) return Reflect.get(target, key);
      const value: unknown = Reflect.get(emitter, key);
      return typeof value === 'function' ? value.bind(emitter) : value;
    },
    has: (target, key) => key in emitter || key in target,
    set: (_target, key, value) => Reflect.set(emitter, key, value),
    getPrototypeOf: () => Reflect.getPrototypeOf(emitter),
  }) as Subscription<T>;
}
