import { ConfigError } from '../errors.js';
import type { CapabilityAdvertisement, InboundFrame, SdkInfo } from '../protocol/frames.js';
import { dispatch, iso } from './dispatch.js';
import { GatewayEmitter } from './events.js';
import type { TokenIdentity } from './identity/types.js';
import { neuronInfos } from './neuron-infos.js';
import { type ResolvedOptions, retryDelayMs } from './options.js';
import { type BufferedEvent, SseChannel, type StreamSink } from './sse.js';
import { isSettled, snapshotTask } from './task-records.js';
import { TaskBook } from './tasks.js';
import type { LeaseRecord, NeuronInfo, TaskRecord } from './types.js';

/** A capability as registered, plus whether dispatch of it to this neuron is suspended. */
export interface NeuronCapability extends CapabilityAdvertisement {
  revoked: boolean;
}

/** Everything the gateway knows about one neuronId. Kept for the gateway's life. */
export interface NeuronEntry {
  readonly neuronId: string;
  readonly channel: SseChannel;
  sessionId?: string;
  /** Registered on its current stream and not shutting down: leases may go to it. */
  dispatchable: boolean;
  /** When its last stream closed; the resume window counts from here. */
  closedAt?: number;
  protocolVersion?: string;
  sdk?: SdkInfo;
  capabilities: Map<string, NeuronCapability>;
  /** Who the token of its current (or last) stream said it is; identity provider only. */
  identity?: TokenIdentity;
}

/**
 * The gateway's state and the rules that move it: streams and sessions, dispatch, the
 * reaper. HTTP parsing lives in the router and POST handlers; this module writes only SSE.
 */
export class GatewayHub {
  readonly options: ResolvedOptions;
  readonly events = new GatewayEmitter();
  readonly book: TaskBook;
  readonly #neurons = new Map<string, NeuronEntry>();
  #sessionSeq = 0;
  #dispatchScheduled = false;
  #closed = false;
  /** Wakes at the earliest `retryAt` of the tasks waiting out a retry backoff. */
  #retryTimer: NodeJS.Timeout | undefined;
  #retryTimerAt = Number.POSITIVE_INFINITY;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.book = new TaskBook({
      maxAttempts: options.maxAttempts,
      onChange: (task) => this.#taskChanged(task),
      leaseIdPrefix: options.leaseIdPrefix,
      retryDelayMs: (attempts) => retryDelayMs(options.retryBackoff, attempts),
    });
  }

  /** `close()` was called: the IPC side refuses new calls, as the closed server does. */
  get closed(): boolean {
    return this.#closed;
  }

  neuron(neuronId: string): NeuronEntry | undefined {
    return this.#neurons.get(neuronId);
  }

  /** Every neuronId seen. */
  entries(): IterableIterator<NeuronEntry> {
    return this.#neurons.values();
  }

  /** Like `neuron`, for operator calls: an unknown id is a caller's mistake. */
  requireNeuron(neuronId: string, needsStream = false): NeuronEntry {
    const entry = this.#neurons.get(neuronId);
    if (!entry || (needsStream && !entry.channel.open)) {
      const known = [...this.#neurons.keys()].join(', ') || 'none';
      throw new ConfigError(
        'NEURON_ERR_INVALID_STATE',
        `dev gateway: neuron ${neuronId} has no open stream (neurons seen: ${known})`,
      );
    }
    return entry;
  }

  newSessionId(): string {
    this.#sessionSeq += 1;
    return `s-${this.#sessionSeq}`;
  }

  /**
   * Makes `sink` the neuron's stream (an SSE response, or an IPC attachment). A session still
   * alive (its stream closed less than `resumeWindowMs` ago, or still open) is kept whatever
   * `Last-Event-ID` says; the header only selects what is replayed. Dispatch waits for the
   * neuron to register on it.
   */
  openStream(
    neuronId: string,
    sink: StreamSink,
    lastEventId: string | undefined,
    identity?: TokenIdentity,
  ): void {
    const entry = this.#neurons.get(neuronId) ?? this.#create(neuronId);
    if (identity) entry.identity = identity;
    else delete entry.identity;
    this.#expireSession(entry, Date.now());
    const resumed = entry.sessionId !== undefined;
    entry.channel.attach(sink);
    delete entry.closedAt;
    const replayed =
      resumed && lastEventId !== undefined
        ? entry.channel.replay(lastEventId, (event) => this.#replayable(entry, event))
        : 0;
    this.events.emit('stream:open', {
      neuronId,
      ...(lastEventId !== undefined && { lastEventId }),
      resumed,
      replayed,
    });
  }

  /**
   * Writes a frame to the neuron's stream. `lease` and `cancel` frames get the next event id
   * unless `id` says otherwise (`true`: an id anyway, `false`: none, a string: that id).
   */
  send(entry: NeuronEntry, frame: InboundFrame, id?: string | boolean): string | undefined {
    const auto = id === undefined && (frame.type === 'lease' || frame.type === 'cancel');
    const eventId = id === true || auto ? entry.channel.nextId() : id || undefined;
    entry.channel.send(frame, eventId);
    this.events.emit('frame', {
      neuronId: entry.neuronId,
      frame,
      ...(eventId !== undefined && { id: eventId }),
    });
    return eventId;
  }

  /** Dispatches on the next microtask: coalesces bursts, and lets a caller that just
   * submitted a task attach `waitFor('lease')` before the lease goes out. */
  scheduleDispatch(): void {
    if (this.#dispatchScheduled || this.#closed) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      if (!this.#closed) dispatch(this, Date.now());
    });
  }

  /** Reclaims expired leases and drops sessions past the resume window. */
  reap(): void {
    const now = Date.now();
    for (const lease of [...this.book.activeLeases()]) {
      if (lease.expiresAt <= now) this.#reclaim(lease, 'expired', now);
    }
    for (const entry of this.#neurons.values()) this.#expireSession(entry, now);
  }

  /** Cancels a pending task at once; for a leased one, sends `cancel` and waits for the nack. */
  cancelTask(task: TaskRecord, reason: string | undefined): void {
    const lease = this.book.cancel(task, reason, Date.now());
    if (!lease) return;
    const entry = this.#neurons.get(lease.neuronId)!;
    this.send(entry, { type: 'cancel', leaseId: lease.leaseId, ...(reason && { reason }) });
  }

  revokeCapability(entry: NeuronEntry, capabilityType: string, reason: string | undefined): void {
    const capability = entry.capabilities.get(capabilityType);
    if (capability) capability.revoked = true;
    this.send(entry, { type: 'capability-revoked', capabilityType, ...(reason && { reason }) });
  }

  neuronInfos(): NeuronInfo[] {
    return neuronInfos(this.entries(), this.book);
  }

  /** Ends every stream and rejects pending waits; nothing is dispatched afterwards. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    for (const entry of this.#neurons.values()) entry.channel.end('gateway-closed');
    this.events.close();
  }

  #create(neuronId: string): NeuronEntry {
    const entry: NeuronEntry = {
      neuronId,
      channel: new SseChannel({
        pingIntervalMs: this.options.pingIntervalMs,
        bufferSize: this.options.replayBufferSize,
        onClose: (reason) => {
          entry.closedAt = Date.now();
          entry.dispatchable = false;
          this.events.emit('stream:close', { neuronId, reason });
        },
      }),
      dispatchable: false,
      capabilities: new Map(),
    };
    this.#neurons.set(neuronId, entry);
    return entry;
  }

  #expireSession(entry: NeuronEntry, now: number): void {
    const { sessionId, closedAt } = entry;
    if (sessionId === undefined || closedAt === undefined || entry.channel.open) return;
    if (now - closedAt < this.options.resumeWindowMs) return;
    delete entry.sessionId;
    entry.capabilities.clear();
    entry.channel.clearBuffer();
    for (const lease of [...this.book.activeLeases()]) {
      if (lease.neuronId === entry.neuronId) this.#reclaim(lease, 'session-dropped', now);
    }
    this.events.emit('session:dropped', { neuronId: entry.neuronId, sessionId });
  }

  #reclaim(lease: LeaseRecord, reason: 'expired' | 'session-dropped', now: number): void {
    this.book.reclaim(lease, reason, now);
    const { neuronId, leaseId, taskId } = lease;
    this.events.emit('lease:reclaimed', { neuronId, leaseId, taskId, reason });
  }

  /**
   * A buffered event as it should be replayed: events about a lease this neuron no longer
   * holds are dropped (it was reclaimed or settled meanwhile), a lease carries its current
   * `expiresAt`. Frames naming no lease the gateway issued (test frames) replay as sent.
   */
  #replayable(entry: NeuronEntry, { frame }: BufferedEvent): InboundFrame | undefined {
    const leaseId = frame.type === 'lease' || frame.type === 'cancel' ? frame.leaseId : undefined;
    const lease = typeof leaseId === 'string' ? this.book.getLease(leaseId) : undefined;
    if (!lease) return frame;
    if (!this.book.isActive(lease.leaseId) || lease.neuronId !== entry.neuronId) return undefined;
    return frame.type === 'lease' ? { ...frame, expiresAt: iso(lease.expiresAt) } : frame;
  }

  /** Arms the retry timer for `at` unless it already wakes earlier. */
  #wakeForRetry(at: number): void {
    if (this.#closed || at >= this.#retryTimerAt) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimerAt = at;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#retryTimerAt = Number.POSITIVE_INFINITY;
      const next = this.book.releaseDue(Date.now());
      if (next !== undefined) this.#wakeForRetry(next);
    }, at - Date.now());
  }

  #taskChanged(task: TaskRecord): void {
    if (task.retryAt !== undefined) this.#wakeForRetry(task.retryAt);
    this.events.emit('task', snapshotTask(task));
    if (isSettled(task)) this.events.emit('task:settled', snapshotTask(task));
    // A new or returned task, or a freed slot: either may let something go out.
    this.scheduleDispatch();
  }
}
