import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCapabilityType } from '../capability/capability-type.js';
import { ConfigError } from '../errors.js';
import type { NeuronIpcBridge } from '../ipc/bridge.js';
import type { InboundFrame } from '../protocol/frames.js';
import { createDevApi, type DevApi } from './dev-api.js';
import { FaultBook } from './faults.js';
import { GatewayHub } from './hub.js';
import { IdentityProvider, loadIdentityState } from './identity/provider.js';
import type { DevIdentity } from './identity/types.js';
import { createIpcBridge } from './ipc-host.js';
import { type DevGatewayOptions, resolveOptions } from './options.js';
import { type RouterContext, route } from './router.js';
import { SETTLED_STATES, snapshotTask, specOf } from './task-records.js';
import type {
  DevGatewayEventName,
  DevGatewayEvents,
  FaultSpec,
  GatewayPath,
  NeuronInfo,
  RequestRecord,
  TaskRecord,
  TaskSpec,
  TaskState,
  WaitOptions,
} from './types.js';

/**
 * A running reference gateway: the server side of PROTOCOL.md on loopback HTTP, plus the
 * hooks tests and tools need to drive and observe it. Create one with {@link createDevGateway}.
 */
export interface DevGateway {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly url: string;
  /** When it started listening (epoch ms): tells a restarted gateway on the same URL apart. */
  readonly startedAt: number;
  /**
   * The identity provider (`identity` option), at `identity.issuer` = `{url}/moku`: its URLs,
   * approvals, clients and revocation, and `mintToken` for tests. `undefined` when off.
   */
  readonly identity: DevIdentity | undefined;
  /** Every request answered so far, in the order answered (SSE opens included). */
  readonly requests: readonly RequestRecord[];
  /** The requests to one path, e.g. `requestsTo('ack')`. */
  requestsTo(path: GatewayPath): RequestRecord[];
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends DevGatewayEventName>(
    event: E,
    listener: (payload: DevGatewayEvents[E]) => void,
  ): () => void;
  /**
   * The next `event` satisfying `predicate`. Only later events count, so call it before the
   * action that causes the event. Rejects with a `WaitError` on timeout or `close()`.
   */
  waitFor<E extends DevGatewayEventName>(
    event: E,
    predicate?: (payload: DevGatewayEvents[E]) => boolean,
    options?: WaitOptions,
  ): Promise<DevGatewayEvents[E]>;

  /** Queues a task; it is leased (on a later microtask) as soon as a neuron can take it. */
  submitTask(spec: TaskSpec): TaskRecord;
  task(taskId: string): TaskRecord | undefined;
  /** Every task, in submission order. */
  tasks(): TaskRecord[];
  /**
   * Resolves once the task is in one of `until`'s states (default: settled) or satisfies it,
   * at once if it already does. Rejects with a `WaitError` naming its state on timeout.
   */
  waitForTask(
    taskId: string,
    until?: readonly TaskState[] | ((task: TaskRecord) => boolean),
    options?: WaitOptions,
  ): Promise<TaskRecord>;
  /**
   * A pending task is cancelled at once. A leased one gets a `cancel` frame (with an event id)
   * and settles `cancelled` when the neuron nacks, whatever the nack's kind, or when its lease
   * is lost; an ack arriving first still settles it `acked`. A settled task is left alone.
   */
  cancelTask(taskId: string, reason?: string): TaskRecord;
  /**
   * Submits a settled task again, as a new task (`retryOf` names the old one) with the same
   * capability, input, scope and limits; the old record stays as it ended.
   */
  retryTask(taskId: string): TaskRecord;

  /** Neurons with an open stream or a live session. */
  neurons(): NeuronInfo[];
  /** Sends `capability-revoked`; the type goes no more to the neuron until it re-registers it. */
  revokeCapability(neuronId: string, capabilityType: string, reason?: string): void;
  /** Sends a `disconnect` frame, then ends the stream cleanly. */
  disconnect(neuronId: string, options?: { reason?: string; reconnectAfterMs?: number }): void;
  /** Destroys the stream's socket without a frame: a network drop. */
  dropStream(neuronId: string): void;
  /** Stops writing anything to the stream (pings included) and keeps its socket open. */
  stallStream(neuronId: string): void;
  /**
   * Writes any frame to the neuron's stream. `lease` and `cancel` frames get the next event
   * id unless `id` says otherwise (`true`: an id anyway, `false`: none, a string: that id).
   * Returns the id used. Frames sent this way are not tracked as leases.
   */
  sendFrame(
    neuronId: string,
    frame: InboundFrame,
    options?: { id?: string | boolean },
  ): string | undefined;
  /** Writes raw SSE text (malformed data, `retry: 1234\n\n`…) to the stream. */
  sendRaw(neuronId: string, text: string): void;

  /**
   * A `NeuronIpcBridge` to this gateway, in-process: hand it to an `IpcTransport` (tests), or
   * serve it to renderers over `ipcMain` (an Electron main process embedding the gateway).
   * `attach` opens the neuron's stream and `invoke` answers as `POST /neuron/{path}` would (same
   * checks, faults, records with `via: 'ipc'`), as the static dev token's `service` identity.
   */
  ipcBridge(): NeuronIpcBridge;

  /** The next `fault.times` requests to `path` get this answer instead of being handled. */
  failNext(path: GatewayPath, fault: FaultSpec): void;
  clearFaults(): void;

  /**
   * Ends every stream and socket, clears every timer, rejects pending waits; resolves when the
   * server is closed. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** Starts a dev gateway (bound to `127.0.0.1` on a free port unless told otherwise). */
export async function createDevGateway(options?: DevGatewayOptions): Promise<DevGateway> {
  const resolved = resolveOptions(options);
  // Keys and clients first: a bad state folder fails before anything listens.
  const identityState =
    resolved.identity && (await loadIdentityState(resolved.identity, resolved.stateDir));
  const hub = new GatewayHub(resolved);
  const faults = new FaultBook();
  const requests: RequestRecord[] = [];
  const record = (entry: RequestRecord): void => {
    requests.push(entry);
    hub.events.emit('request', entry);
  };
  const context: RouterContext = { hub, faults, record };
  const server = createServer((req, res) => {
    // A request that breaks mid-body (client gone) has nobody left to answer.
    route(context, req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const url = `http://${host}:${port}`;
  const identity = identityState ? new IdentityProvider(identityState, url, hub) : undefined;
  context.identity = identity;
  const gateway = new LoopbackGateway(url, server, context, requests, identity);
  if (resolved.devApi) gateway.attachDevApi(context);
  return gateway;
}

class LoopbackGateway implements DevGateway {
  readonly url: string;
  readonly startedAt = Date.now();
  readonly requests: readonly RequestRecord[];
  readonly identity: IdentityProvider | undefined;
  readonly #server: Server;
  readonly #hub: GatewayHub;
  readonly #faults: FaultBook;
  readonly #context: RouterContext;
  readonly #reaper: NodeJS.Timeout;
  #dev: DevApi | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    url: string,
    server: Server,
    context: RouterContext,
    requests: RequestRecord[],
    identity: IdentityProvider | undefined,
  ) {
    const { hub, faults } = context;
    this.url = url;
    this.requests = requests;
    this.identity = identity;
    this.#server = server;
    this.#hub = hub;
    this.#faults = faults;
    this.#context = context;
    this.#reaper = setInterval(() => hub.reap(), hub.options.reaperIntervalMs);
  }

  /** Serves `/__dev__/…` through this gateway's own API. */
  attachDevApi(context: RouterContext): void {
    const { pingIntervalMs, maxBodyBytes } = this.#hub.options;
    this.#dev = createDevApi(this, { pingIntervalMs, maxBodyBytes }, this.identity);
    context.dev = this.#dev;
  }

  requestsTo(path: GatewayPath): RequestRecord[] {
    return this.requests.filter((request) => request.path === path);
  }

  on<E extends DevGatewayEventName>(event: E, listener: (payload: DevGatewayEvents[E]) => void) {
    return this.#hub.events.on(event, listener);
  }

  waitFor<E extends DevGatewayEventName>(
    event: E,
    predicate?: (payload: DevGatewayEvents[E]) => boolean,
    options?: WaitOptions,
  ): Promise<DevGatewayEvents[E]> {
    return this.#hub.events.waitFor(event, predicate, options);
  }

  submitTask(spec: TaskSpec): TaskRecord {
    if (!isCapabilityType(spec.capabilityType)) {
      const shape = 'owner/package[/name][.variant]';
      const message = `capabilityType must look like ${shape}, got ${spec.capabilityType}`;
      throw new ConfigError('NEURON_ERR_INVALID_OPTIONS', `dev gateway: ${message}`);
    }
    const ttl = spec.leaseTtlMs;
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 1)) {
      throw new ConfigError('NEURON_ERR_INVALID_OPTIONS', 'dev gateway: leaseTtlMs must be >= 1');
    }
    return snapshotTask(this.#hub.book.submit(spec, Date.now()));
  }

  task(taskId: string): TaskRecord | undefined {
    const task = this.#hub.book.get(taskId);
    return task && snapshotTask(task);
  }

  tasks(): TaskRecord[] {
    return [...this.#hub.book.all()].map(snapshotTask);
  }

  waitForTask(
    taskId: string,
    until: readonly TaskState[] | ((task: TaskRecord) => boolean) = SETTLED_STATES,
    options?: WaitOptions,
  ): Promise<TaskRecord> {
    const matches =
      typeof until === 'function' ? until : (t: TaskRecord) => until.includes(t.state);
    const now = this.task(taskId);
    if (!now) return Promise.reject(unknownTask(taskId));
    if (matches(now)) return Promise.resolve(now);
    const goal = typeof until === 'function' ? 'the awaited condition' : until.join('|');
    return this.#hub.events.waitFor('task', (t) => t.taskId === taskId && matches(t), {
      ...options,
      describe: (timeoutMs) => {
        const { state, attempts } = this.#hub.book.get(taskId)!;
        const now = `state: ${state}, attempts: ${attempts}`;
        return `task ${taskId} did not reach ${goal} within ${timeoutMs} ms (${now})`;
      },
    });
  }

  cancelTask(taskId: string, reason?: string): TaskRecord {
    const task = this.#hub.book.get(taskId);
    if (!task) throw unknownTask(taskId);
    this.#hub.cancelTask(task, reason);
    return snapshotTask(task);
  }

  retryTask(taskId: string): TaskRecord {
    const old = this.#hub.book.get(taskId);
    if (!old) throw unknownTask(taskId);
    if (!SETTLED_STATES.includes(old.state)) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_STATE',
        `dev gateway: task ${taskId} is ${old.state}; only a settled task can be retried`,
      );
    }
    return snapshotTask(this.#hub.book.submit(specOf(old), Date.now(), taskId));
  }

  neurons(): NeuronInfo[] {
    return this.#hub.neuronInfos();
  }

  revokeCapability(neuronId: string, capabilityType: string, reason?: string): void {
    this.#hub.revokeCapability(this.#hub.requireNeuron(neuronId), capabilityType, reason);
  }

  disconnect(neuronId: string, options: { reason?: string; reconnectAfterMs?: number } = {}): void {
    const entry = this.#hub.requireNeuron(neuronId, true);
    const { reason, reconnectAfterMs } = options;
    this.#hub.send(entry, {
      type: 'disconnect',
      ...(reason !== undefined && { reason }),
      ...(reconnectAfterMs !== undefined && { reconnectAfterMs }),
    });
    entry.channel.end('disconnect');
  }

  dropStream(neuronId: string): void {
    this.#hub.requireNeuron(neuronId, true).channel.drop();
  }

  stallStream(neuronId: string): void {
    this.#hub.requireNeuron(neuronId, true).channel.stall();
  }

  sendFrame(neuronId: string, frame: InboundFrame, options: { id?: string | boolean } = {}) {
    return this.#hub.send(this.#hub.requireNeuron(neuronId, true), frame, options.id);
  }

  sendRaw(neuronId: string, text: string): void {
    this.#hub.requireNeuron(neuronId, true).channel.writeRaw(text);
  }

  ipcBridge(): NeuronIpcBridge {
    return createIpcBridge(this.#context);
  }

  failNext(path: GatewayPath, fault: FaultSpec): void {
    this.#faults.add(path, fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      clearInterval(this.#reaper);
      this.#dev?.close();
      this.#hub.close();
      this.#server.close(() => resolve());
      // Keep-alive sockets of finished POSTs would otherwise hold close() up.
      this.#server.closeAllConnections();
    }).then(() => this.identity?.flush());
    return this.#closing;
  }
}

function unknownTask(taskId: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_STATE', `dev gateway: no task ${taskId}`);
}
