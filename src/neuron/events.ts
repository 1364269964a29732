import type { Outcome, Settlement } from '../../machines/lease.js';
import type { EffectiveCapability, InboundFrame, RejectedCapability } from '../protocol/frames.js';
import type { ReconnectInfo } from '../transport/types.js';

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
}

export type NeuronEventName = keyof NeuronEventMap;
export type NeuronListener<E extends NeuronEventName> = (...args: NeuronEventMap[E]) => void;

/**
 * A small typed emitter. `on()` returns its own unsubscribe function. A listener that throws
 * cannot break the neuron: the throw is reported through `onListenerError`.
 */
export class TypedEmitter {
  readonly #listeners = new Map<NeuronEventName, Set<(...args: never[]) => void>>();
  readonly #onListenerError: (event: NeuronEventName, err: unknown) => void;

  constructor(onListenerError: (event: NeuronEventName, err: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends NeuronEventName>(event: E, listener: NeuronListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (...args: never[]) => void);
    return () => this.off(event, listener);
  }

  once<E extends NeuronEventName>(event: E, listener: NeuronListener<E>): () => void {
    const off = this.on(event, ((...args: NeuronEventMap[E]) => {
      off();
      listener(...args);
    }) as NeuronListener<E>);
    return off;
  }

  off<E extends NeuronEventName>(event: E, listener: NeuronListener<E>): void {
    this.#listeners.get(event)?.delete(listener as (...args: never[]) => void);
  }

  listenerCount(event: NeuronEventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  emit<E extends NeuronEventName>(event: E, ...args: NeuronEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: NeuronEventMap[E]) => void)(...args);
      } catch (err) {
        this.#onListenerError(event, err);
      }
    }
  }
}
