import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import { watchLoopDelay } from '#platform/loop-delay';
import { LEASE_POOL, type NeuronEmitted, type NeuronMachine } from '../../machines/neuron.js';
import type {
  CapabilityDefinition,
  CapabilityOverrides,
  CapabilityRegistration,
} from '../capability/index.js';
import { resolveRegistration } from '../capability/registration.js';
import { ConfigError } from '../errors.js';
import { MAX_TIMER_MS } from '../limits.js';
import type { NeuronLogger } from '../logger.js';
import type { InboundFrame } from '../protocol/frames.js';
import { NeuronTelemetry } from '../telemetry/telemetry.js';
import { HttpTransport } from '../transport/http-transport.js';
import type { Transport } from '../transport/types.js';
import type { Handler } from './context.js';
import { provideEffects } from './effects.js';
import { NeuronEmitter, type NeuronEventMap, type NeuronEventName } from './events.js';
import {
  isTransportShape,
  type NeuronOptions,
  type ResolvedOptions,
  resolveLogger,
  resolveOptions,
} from './options.js';
import type { HandlerEntry } from './run-handler.js';
import {
  capabilityLoad,
  inFlightLeaseTtls,
  type NeuronSnapshot,
  type NeuronState,
  neuronState,
  poolOf,
  takeSnapshot,
} from './snapshot.js';
import { createWatchdog, LOOP_SAMPLE_MS } from './watchdog.js';
import { wireTransport } from './wiring.js';

export interface StopOptions {
  /** Wait for running handlers before aborting them. @default true */
  drain?: boolean;
  /** How long the drain may take. @default 30_000 */
  timeoutMs?: number;
}

export interface NeuronRunOptions {
  /** An XState inspection observer (e.g. from `@statelyai/inspect`): sees every actor of the neuron. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/**
 * A process that serves capabilities to a BigBrain gateway: `handle()` each capability, then
 * `start()`; `stop()` drains and disconnects. It is an eventemitter3 `EventEmitter` of the
 * events in `NeuronEventMap`.
 */
export class Neuron extends NeuronEmitter {
  readonly neuronId: string;
  readonly #options: ResolvedOptions;
  readonly #transport: Transport;
  readonly #handlers = new Map<string, HandlerEntry>();
  readonly #concurrency = new Map<string, number>();
  readonly #inspect: NeuronRunOptions['inspect'];
  #actor: Actor<NeuronMachine> | undefined;
  #telemetry: NeuronTelemetry | undefined;
  #stopWatchdog: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: NeuronOptions & NeuronRunOptions) {
    super();
    const transportShape = isTransportShape(options);
    const logger = resolveLogger(options.logger);
    this.#transport = transportShape
      ? options.transport
      : new HttpTransport({
          gatewayUrl: options.gatewayUrl,
          neuronId: options.neuronId,
          auth: options.auth,
          logger,
          ...pick(options, [
            'fetch',
            'dispatcher',
            'maxFrameBytes',
            'requestTimeoutMs',
            'allowInsecure',
          ]),
        });
    this.#options = resolveOptions({ ...options, logger }, this.#transport);
    this.neuronId = this.#options.neuronId;
    this.#inspect = options.inspect;
  }

  protected override listenerThrew(event: NeuronEventName, err: unknown): void {
    this.#options.logger.error({ event, err: String(err) }, 'a neuron event listener threw');
  }

  /**
   * Serve a capability. Call before `start()`, once per capability type. With a raw
   * registration, `I` is what its `inputSchema` promises: declared, not inferred.
   */
  handle<I = unknown, O = unknown>(
    registration: CapabilityRegistration,
    handler: Handler<I, O>,
  ): void;
  handle<I, O>(definition: CapabilityDefinition<I, O>, handler: Handler<I, O>): void;
  handle<I, O>(
    definition: CapabilityDefinition<I, O>,
    overrides: CapabilityOverrides,
    handler: Handler<I, O>,
  ): void;
  handle(
    registration: CapabilityRegistration | CapabilityDefinition<unknown, unknown>,
    overridesOrHandler: CapabilityOverrides | Handler<never, unknown>,
    maybeHandler?: Handler<never, unknown>,
  ): void {
    if (this.#actor) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_STATE',
        'Neuron.handle() must be called before start(); to change concurrency at run time use updateCapability()',
      );
    }
    const handler = typeof overridesOrHandler === 'function' ? overridesOrHandler : maybeHandler;
    const overrides = typeof overridesOrHandler === 'function' ? undefined : overridesOrHandler;
    if (typeof handler !== 'function') {
      throw new ConfigError(
        'NEURON_ERR_INVALID_CAPABILITY',
        'Neuron.handle() needs a handler function as its last argument: handle(capability, async (input, ctx) => output)',
      );
    }
    const capability = resolveRegistration(registration, overrides);
    if (this.#handlers.has(capability.type)) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_CAPABILITY',
        `Neuron.handle(): ${capability.type} already has a handler; each capability type is handled once`,
      );
    }
    this.#handlers.set(capability.type, { capability, handler });
    this.#concurrency.set(capability.type, capability.concurrency);
  }

  /** Open the stream, register, and start serving. A second call is a no-op. */
  async start(): Promise<void> {
    if (this.#actor) return;
    if (this.#handlers.size === 0) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_STATE',
        'Neuron.start() requires at least one handler: call neuron.handle(capability, handler) first',
      );
    }
    const telemetry = new NeuronTelemetry(this.neuronId);
    this.#telemetry = telemetry;
    const machine = provideEffects({
      telemetry,
      neuronId: this.neuronId,
      transport: this.#transport,
      logger: this.#options.logger,
      handlers: this.#handlers,
      concurrencyOf: (type) => this.#concurrency.get(type) ?? 1,
      deadlineOf: (leaseId) => this.#deadlineOf(leaseId),
      emitError: (err) => this.emit('error', err),
    });
    const actor = createActor(machine, {
      input: {
        capabilities: Object.fromEntries(this.#concurrency),
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
        cancelGraceMs: this.#options.cancelGraceMs,
        defaultLeaseTtlMs: this.#options.defaultLeaseTtlMs,
        abortGraceMs: this.#options.shutdownGraceMs,
        reconnect: this.#options.reconnect,
      },
      ...(this.#inspect ? { inspect: this.#inspect } : {}),
    });
    this.#actor = actor;
    telemetry.start(() => capabilityLoad(actor));
    this.#stopWatchdog = watchLoopDelay(
      LOOP_SAMPLE_MS,
      createWatchdog({
        heartbeatIntervalMs: () => actor.getSnapshot().context.heartbeatIntervalMs,
        inFlightLeaseTtls: () => inFlightLeaseTtls(actor),
        onDelay: (delayMs) => telemetry.loopDelay(delayMs),
        onBlocked: (info) => {
          this.#options.logger.warn(
            { ...info },
            'the event loop was blocked long enough to put leases at risk: move CPU work off it (worker threads)',
          );
          telemetry.loopBlocked();
          this.emit('loop:blocked', info);
        },
      }),
    );
    actor.on('*', (event) => this.#relay(event));
    actor.subscribe({
      error: (err) => {
        this.#options.logger.error({ err: String(err) }, 'the neuron actor failed');
        // Nothing reads the stream any more: close it, so the gateway reclaims the leases.
        void this.#closeTransport();
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      },
    });
    wireTransport({
      transport: this.#transport,
      actor,
      logger: this.#options.logger,
      emitFrame: (frame: InboundFrame) => this.emit('frame', frame),
      emitError: (err: Error) => this.emit('error', err),
      emitReconnecting: (info) => this.emit('connection:reconnecting', info),
      idleTimeoutMs: this.#options.reconnect.idleTimeoutMs,
      checkFrames: !(this.#transport instanceof HttpTransport),
    });
    actor.start();
    actor.send({ type: 'start' });
    // The pool reports the leases' story itself (the neuron machine never sees a lease).
    actor.system.get(LEASE_POOL)?.on('*', (event: NeuronEmitted) => this.#relay(event));
  }

  /**
   * Graceful shutdown (PROTOCOL.md's four steps). Resolves once the stream and every socket are
   * closed; a second call returns the same promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.#stopping) return this.#stopping;
    const drain = options.drain ?? true;
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_OPTIONS',
        `Neuron.stop(): timeoutMs must be a number ≥ 0, got ${timeoutMs}`,
      );
    }
    const actor = this.#actor;
    if (!actor) {
      this.#stopping = this.#transport.close?.() ?? Promise.resolve();
      return this.#stopping;
    }
    this.#stopping = new Promise<void>((resolve) => {
      // xstate calls `complete` synchronously when subscribing to an actor that has already
      // ended (e.g. one that failed): `subscription` does not exist yet then.
      let subscription: { unsubscribe(): void } | undefined;
      let ended = false;
      const done = (): void => {
        if (ended) return;
        ended = true;
        subscription?.unsubscribe();
        // The drain closed the transport (step 4), unless the actor failed or that step itself
        // failed: closing again is a no-op then, and the guarantee holds either way.
        void this.#closeTransport().then(resolve);
      };
      subscription = actor.subscribe({ complete: done, error: done });
      if (ended) subscription.unsubscribe();
      else if (actor.getSnapshot().status !== 'active') done();
    });
    // "Wait forever" (Infinity) is the longest wait a timer holds.
    actor.send({ type: 'stop', drain, timeoutMs: Math.min(timeoutMs, MAX_TIMER_MS) });
    return this.#stopping;
  }

  /** Closes the stream and the HTTP pool; failures are logged (this runs on the way out). */
  async #closeTransport(): Promise<void> {
    this.#stopWatchdog?.();
    this.#telemetry?.stop();
    try {
      await this.#transport.stop();
      await this.#transport.close?.();
    } catch (err) {
      this.#options.logger.warn({ err: String(err) }, 'closing the transport failed');
    }
  }

  /** Change a capability's concurrency at run time; running handlers continue. */
  async updateCapability(update: { type: string; concurrency: number }): Promise<void> {
    const type = update?.type;
    if (!this.#handlers.has(type)) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_CAPABILITY',
        `Neuron.updateCapability(): ${JSON.stringify(type)} is not a capability this neuron handles`,
      );
    }
    if (!Number.isInteger(update.concurrency) || update.concurrency < 1) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_CAPABILITY',
        `Neuron.updateCapability(): concurrency of ${type} must be an integer ≥ 1, got ${update.concurrency}`,
      );
    }
    this.#concurrency.set(type, update.concurrency);
    const actor = this.#actor;
    if (!actor) return;
    actor.send({
      type: 'update-capability',
      capabilityType: type,
      concurrency: update.concurrency,
    });
    // Not registered yet: the next `register` carries the new limit.
    if (actor.getSnapshot().context.sessionId === undefined) return;
    await this.#transport.post('update-capability', {
      type: 'update-capability',
      neuronId: this.neuronId,
      capabilityType: type,
      concurrency: update.concurrency,
    });
  }

  /** `idle` before `start()`, `serving`, `draining` during `stop()`, then `stopped`. */
  getState(): NeuronState {
    return neuronState(this.#actor);
  }

  /** The live state of every actor, as plain data. */
  snapshot(): NeuronSnapshot {
    return takeSnapshot(this.#actor, this.#handlers, this.#concurrency);
  }

  get logger(): NeuronLogger {
    return this.#options.logger;
  }

  #deadlineOf(leaseId: string): number {
    const lease = poolOf(this.#actor)?.leases.get(leaseId)?.actor.getSnapshot();
    return lease?.context.expiresAt ?? Date.now();
  }

  #relay(event: NeuronEmitted): void {
    switch (event.type) {
      case 'connection:open':
        this.#options.logger.info({}, 'connection open');
        this.emit('connection:open');
        return;
      case 'connection:registered': {
        const r = event.registration;
        this.#options.logger.info(
          { sessionId: r.sessionId, capabilities: r.capabilities.map((c) => c.type) },
          'registered',
        );
        this.emit('connection:registered', {
          sessionId: r.sessionId,
          capabilities: r.capabilities.length,
          effective: r.capabilities,
          rejected: r.rejected ?? [],
        });
        return;
      }
      case 'connection:close':
        this.#options.logger.info({ reason: event.reason }, 'connection closed');
        this.emit('connection:close', event.reason);
        return;
      case 'connection:reconnecting':
        this.#telemetry?.reconnecting();
        this.#options.logger.info(
          { attempt: event.attempt, delayMs: event.delayMs, reason: event.reason },
          'transport reconnecting',
        );
        this.emit('connection:reconnecting', {
          attempt: event.attempt,
          delayMs: event.delayMs,
          reason: event.reason,
        });
        return;
      case 'error':
        this.#options.logger.error({ err: event.error.message }, 'neuron error');
        this.emit('error', event.error);
        return;
      case 'lease:received': {
        const { type: _t, ...info } = event;
        if (!info.duplicate) this.#telemetry?.received(info);
        this.emit('lease:received', info);
        return;
      }
      case 'lease:settled': {
        const { type: _t, ...info } = event;
        this.#telemetry?.settled(info);
        this.emit('lease:settled', info);
        return;
      }
    }
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

export type { NeuronEventMap };
