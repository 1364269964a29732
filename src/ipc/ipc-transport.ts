/**
 * The reference's `IpcTransport`: a neuron in an Electron renderer (or any page) served by a host
 * process over IPC. Frames come from the bridge's per-neuron channel, POSTs go through
 * `bridge.invoke(path, frame)`. Compared with `HttpTransport`: no auth callback (the host adds
 * the credentials), no keep-alive (an idle channel is not a dead one), and no reconnect logic of
 * its own. Every bridge call is bounded, and a failing one is reported as an error.
 */
import { BadStreamError, NeuronError } from '../errors.js';
import { MAX_TIMER_MS } from '../limits.js';
import { childLogger, type NeuronLogger } from '../logger.js';
import type { ClientFrame, PostPath, ServerToNeuronFrame } from '../protocol/frames.js';
import { type TransportEmit, transportSubscribers } from '../transport/subscribers.js';
import type { ReconnectPolicy, Transport, TransportCallbacks } from '../transport/types.js';
import { readIpcAnswer } from './answer.js';
import { type BridgeCallOptions, bridgeCall } from './bridge-call.js';
import {
  type IpcTransportOptions,
  type ResolvedIpcTransportOptions,
  resolveIpcTransportOptions,
} from './options.js';

export type { IpcTransportOptions } from './options.js';

/** One attachment, from the moment `start()` calls `attach` until `stop()` detaches. */
interface Attachment {
  /** `stop()` asked for the teardown. */
  stopped: boolean;
  open: boolean;
  unsubscribe: (() => void) | undefined;
  /** Settles once `start()` has finished, opened or not. */
  readonly started: Promise<void>;
}

/**
 * The connection machine treats a stream without bytes for `idleTimeoutMs` as dead. An IPC
 * channel sends nothing while idle, so silence means nothing: the longest delay a timer can
 * hold, which frames re-arm long before it passes.
 */
const IPC_RECONNECT_POLICY: ReconnectPolicy = Object.freeze({ idleTimeoutMs: MAX_TIMER_MS });

export class IpcTransport implements Transport {
  readonly reconnectPolicy = IPC_RECONNECT_POLICY;
  readonly #options: ResolvedIpcTransportOptions;
  readonly #log: NeuronLogger;
  readonly #subscribers: ReturnType<typeof transportSubscribers>;
  readonly #emit: TransportEmit;
  #attachment: Attachment | undefined;
  #closing: Promise<void> | undefined;
  /** The `invoke`s in flight; `close()` fails them at once, as `HttpTransport` abandons POSTs. */
  readonly #invokes = new Set<() => void>();

  constructor(options: IpcTransportOptions) {
    this.#options = resolveIpcTransportOptions(options);
    this.#log = childLogger(this.#options.logger, { component: 'ipc-transport' });
    this.#subscribers = transportSubscribers(this.#log);
    this.#emit = this.#subscribers.emit;
  }

  subscribe(callbacks: TransportCallbacks): void {
    this.#subscribers.add(callbacks);
  }

  isConnected(): boolean {
    return this.#attachment?.open === true;
  }

  /**
   * `bridge.attach(neuronId)`, then `bridge.subscribe(channel, …)`; calls `onOpen` before it
   * resolves. Rejects (after an `onError`) when either fails or `attach` does not answer within
   * `requestTimeoutMs`; the neuron's connection machine then tries again later, as after any
   * failed open.
   */
  async start(): Promise<void> {
    if (this.#closing) throw invalidState('start() after close(): create a new transport');
    if (this.#attachment) throw invalidState('start() while attached: call stop() first');
    let settle = (): void => {};
    const attachment: Attachment = {
      stopped: false,
      open: false,
      unsubscribe: undefined,
      started: new Promise((resolve) => {
        settle = resolve;
      }),
    };
    this.#attachment = attachment;
    try {
      await this.#attach(attachment);
    } catch (err) {
      this.#attachment = undefined;
      throw err;
    } finally {
      settle();
    }
    this.#log.debug({ neuronId: this.#options.neuronId }, 'attached');
    this.#emit('onOpen');
  }

  /** Unsubscribes and detaches; resolves once done. No `onClose` follows. Never rejects. */
  async stop(): Promise<void> {
    const attachment = this.#attachment;
    if (!attachment) return;
    attachment.stopped = true;
    await attachment.started;
    // A `start()` that saw the stop has cleaned up after itself.
    if (this.#attachment !== attachment) return;
    this.#attachment = undefined;
    attachment.open = false;
    this.#unsubscribe(attachment);
    await this.#detach();
    this.#log.debug({}, 'detached');
  }

  /**
   * `bridge.invoke(path, frame)`. Resolves with the answer's body; rejects with a
   * `GatewayStatusError` when the host reports a non-2xx status (an `IpcAnswer`), a
   * `NetworkError` when the bridge fails, a `RequestTimeoutError` when it does not answer.
   */
  async post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown> {
    if (this.#closing) throw invalidState(`post(${path}) after close(): the transport is closed`);
    const answer = await this.#call(path, () => this.#options.bridge.invoke(path, frame), true);
    return readIpcAnswer(path, answer);
  }

  /** `stop()`, and the `invoke`s still in flight reject at once. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.stop().then(() => {
      for (const abandon of this.#invokes) abandon();
    });
    return this.#closing;
  }

  async #attach(attachment: Attachment): Promise<void> {
    const { bridge, neuronId } = this.#options;
    const attached = await this.#call('attach', () => bridge.attach(neuronId));
    const channel = (attached as { channel?: unknown } | null | undefined)?.channel;
    if (typeof channel !== 'string' || channel === '') {
      const error = new BadStreamError(
        'the bridge answered attach() without a channel: it must resolve with { channel: string }',
      );
      this.#emit('onError', error);
      await this.#detach();
      throw error;
    }
    if (attachment.stopped) {
      await this.#detach();
      throw invalidState('stop() was called while attaching');
    }
    try {
      attachment.unsubscribe = bridge.subscribe(channel, (frame) =>
        this.#receive(attachment, frame),
      );
    } catch (err) {
      const error = new BadStreamError(`the bridge's subscribe(${JSON.stringify(channel)}) threw`, {
        cause: err,
      });
      this.#emit('onError', error);
      await this.#detach();
      throw error;
    }
    attachment.open = true;
  }

  /** Frames go on as the bridge delivers them: the `Neuron` checks them, as for any transport. */
  #receive(attachment: Attachment, frame: ServerToNeuronFrame): void {
    // The bridge may deliver a frame that was under way when we unsubscribed.
    if (attachment.stopped || this.#attachment !== attachment) return;
    this.#emit('onActivity');
    this.#emit('onFrame', frame);
  }

  #unsubscribe(attachment: Attachment): void {
    try {
      attachment.unsubscribe?.();
    } catch (err) {
      this.#emit('onError', new BadStreamError("the bridge's unsubscribe threw", { cause: err }));
    }
  }

  /** Failures are reported and swallowed: a detach is part of a teardown, which goes on. */
  async #detach(): Promise<void> {
    const { bridge, neuronId } = this.#options;
    await this.#call('detach', () => bridge.detach(neuronId)).catch(() => {});
  }

  #call<T>(path: string, call: () => Promise<T>, abandonable = false): Promise<T> {
    const options: BridgeCallOptions = {
      path,
      timeoutMs: this.#options.requestTimeoutMs,
      onFailure: (err) => {
        this.#log.warn({ path, err: err.message }, 'IPC bridge call failed');
        this.#emit('onError', err);
      },
      ...(abandonable ? { abandonable: this.#invokes } : {}),
    };
    return bridgeCall(call, options);
  }
}

function invalidState(message: string): NeuronError {
  return new NeuronError('NEURON_ERR_INVALID_STATE', message);
}
