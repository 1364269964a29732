/**
 * The live side of the model tests: a real `Neuron` (its `HttpTransport` and the production
 * effects) against the reference gateway over loopback, with every `@xstate.microstep` of every
 * actor recorded, handlers the test settles by hand, and the leak check of the e2e harness.
 * `runPath` replays one planned path on it, step by step.
 */
import {
  type HandlerContext,
  HttpTransport,
  Neuron,
  type NeuronOptionsWithHttp,
  type StopOptions,
} from '@holokai/neuron-sdk';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '@holokai/neuron-sdk/dev-gateway';
import { expect } from 'vitest';
import type { AnyTransitionDefinition, EventObject, InspectionEvent } from 'xstate';
import type { GatewayPath, RequestRecord } from '../../src/dev-gateway/types.js';
import { trackResources } from '../support/resources.js';
import { edgeKey, type PlannedPath } from './graph.js';

export const NEURON_ID = 'model-neuron';
export const SUBJECT = 'model/subject';

/** One recorded microstep of one actor. */
export interface Microstep {
  seq: number;
  actorId: string;
  machine: string;
  keys: string[];
  value: unknown;
  context: Record<string, unknown>;
  event: EventObject;
  at: number;
}

/** Edges taken per machine, across every rig of a test file. */
export const taken = new Map<string, Set<string>>();

interface Deferred {
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Closes like `HttpTransport`, then fails: what a user's transport may do. */
class FailingCloseTransport extends HttpTransport {
  override async close(): Promise<void> {
    await super.close();
    throw new Error('close failed');
  }
}

export interface RigOptions {
  gateway?: DevGatewayOptions;
  neuron?: Partial<NeuronOptionsWithHttp>;
  /** The neuron's `auth` callback. @default () => 'model-token' */
  auth?: () => string;
  /** Build the neuron on a transport whose `close()` rejects. */
  failingClose?: boolean;
  /** Concurrency of `model/subject`. @default 1 */
  concurrency?: number;
  inputSchema?: Record<string, unknown>;
}

export class Rig {
  readonly gw: DevGateway;
  readonly neuron: Neuron;
  readonly microsteps: Microstep[] = [];
  /** Handlers started, by leaseId, in order. */
  readonly started: string[] = [];
  /** When each handler started (ms since the epoch). */
  readonly startedAt = new Map<string, number>();
  readonly aborted = new Map<string, unknown>();
  readonly errors: Error[] = [];
  readonly #controls = new Map<string, Deferred>();
  readonly #resources = trackResources();
  #stopping: Promise<void> | undefined;

  private constructor(gw: DevGateway, options: RigOptions) {
    this.gw = gw;
    const common = {
      neuronId: NEURON_ID,
      heartbeatIntervalMs: 60_000,
      initialReconnectDelayMs: 20,
      maxReconnectDelayMs: 60,
      idleTimeoutMs: 60_000,
      cancelGraceMs: 60_000,
      shutdownGraceMs: 2_000,
      ...options.neuron,
      inspect: this.inspect,
    };
    this.neuron = options.failingClose
      ? new Neuron({
          ...common,
          transport: new FailingCloseTransport({
            gatewayUrl: gw.url,
            neuronId: NEURON_ID,
            auth: () => 'model-token',
          }),
        } as never)
      : new Neuron({ ...common, gatewayUrl: gw.url, auth: options.auth ?? (() => 'model-token') });
    this.neuron.on('error', (err) => this.errors.push(err));
    this.neuron.handle(
      {
        type: SUBJECT,
        scope: 'any',
        concurrency: options.concurrency ?? 1,
        ...(options.inputSchema ? { inputSchema: options.inputSchema } : {}),
      },
      (_input: unknown, ctx: HandlerContext) => {
        this.started.push(ctx.leaseId);
        this.startedAt.set(ctx.leaseId, Date.now());
        ctx.signal.addEventListener('abort', () =>
          this.aborted.set(ctx.leaseId, ctx.signal.reason),
        );
        // Settled only by the test: cancels, revokes and shutdowns are ignored.
        return this.#control(ctx.leaseId).promise;
      },
    );
  }

  static async create(options: RigOptions = {}): Promise<Rig> {
    const gw = await createDevGateway(options.gateway);
    return new Rig(gw, options);
  }

  #control(leaseId: string): Deferred {
    let control = this.#controls.get(leaseId);
    if (!control) {
      control = deferred();
      this.#controls.set(leaseId, control);
    }
    return control;
  }

  /** Settle a lease's handler: return `value`, or throw when `value` is an Error. */
  settle(leaseId: string, value: unknown = { ok: true }): void {
    const control = this.#control(leaseId);
    if (value instanceof Error) control.reject(value);
    else control.resolve(value);
  }

  /** The inspection observer every actor of the rig reports to. */
  readonly inspect = (event: InspectionEvent): void => this.#record(event);

  #record(event: InspectionEvent): void {
    // Microsteps carry the transitions taken; an actor's first snapshot shows its initial
    // state even when initialising took no transition.
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    const ref = event.actorRef as unknown as { id: string; logic?: { id?: string } };
    const machine = ref.logic?.id ?? '?';
    const transitions = (event as { _transitions?: AnyTransitionDefinition[] })._transitions ?? [];
    const keys = transitions.map(edgeKey);
    const snapshot = event.snapshot as { value?: unknown; context?: Record<string, unknown> };
    let set = taken.get(machine);
    if (!set) {
      set = new Set();
      taken.set(machine, set);
    }
    for (const key of keys) set.add(key);
    this.microsteps.push({
      seq: this.microsteps.length,
      actorId: ref.id,
      machine,
      keys,
      value: snapshot.value,
      context: snapshot.context ?? {},
      event: event.event,
      at: Date.now(),
    });
  }

  /** Requests to `path` answered at or after `since`. */
  requests(path: GatewayPath, since = 0): RequestRecord[] {
    return this.gw.requests.filter((r) => r.path === path && r.at >= since);
  }

  async waitForRequest(
    path: GatewayPath,
    predicate: (r: RequestRecord) => boolean = () => true,
    since = 0,
    timeoutMs = 3_000,
  ): Promise<RequestRecord> {
    let found: RequestRecord | undefined;
    await expect
      .poll(
        () => {
          found = this.requests(path, since).find(predicate);
          return found !== undefined;
        },
        { timeout: timeoutMs, interval: 5, message: `a ${path} request` },
      )
      .toBe(true);
    return found as RequestRecord;
  }

  /** The first microstep at or after `from` matching `predicate`. */
  async waitForMicrostep(
    predicate: (m: Microstep) => boolean,
    from: number,
    what: string,
    timeoutMs = 3_000,
  ): Promise<Microstep> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.microsteps.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.microsteps
          .slice(from)
          .map((m) => `${m.machine}#${m.actorId}: ${m.keys.join(' + ') || m.event.type}`)
          .join('\n  ');
        throw new Error(`timed out waiting for ${what}; microsteps since:\n  ${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Resolves once the gateway has the neuron's stream open. */
  async streamOpen(): Promise<void> {
    await expect
      .poll(() => this.gw.neurons().find((n) => n.neuronId === NEURON_ID)?.streamOpen === true)
      .toBe(true);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  stop(options?: StopOptions): Promise<void> {
    this.#stopping ??= this.neuron.stop(options);
    return this.#stopping;
  }

  /** Settle every handler, stop the neuron, check it left nothing behind, close the gateway. */
  async dispose(): Promise<void> {
    try {
      for (const control of this.#controls.values()) control.resolve({ ok: true });
      this.gw.clearFaults();
      await this.stop({ drain: false });
      await expect
        .poll(() => this.#resources.sdkLeftovers(), { timeout: 2_000, interval: 10 })
        .toEqual([]);
    } finally {
      this.#resources.stop();
      await this.gw.close();
    }
  }
}

/** What a machine's driver supplies to replay a path on a live rig. */
export interface Driver {
  /** The microsteps of the actor under test. */
  subject: (m: Microstep) => boolean;
  /** Build the rig for the path and script the gateway's answers. */
  setup: (path: PlannedPath) => Promise<Rig>;
  /** The subject only comes to life with step 1 (its `act` creates it): no initial check before. */
  lazy?: boolean;
  /** Bring the actor to life (start the neuron, deliver the lease…). */
  begin: (rig: Rig, path: PlannedPath) => Promise<void>;
  /** Make step `i`'s event happen. */
  act: (rig: Rig, path: PlannedPath, i: number) => Promise<void> | void;
  /** Check the wire after step `i` (entered at microstep `m`); `-1` for the initial state. */
  wire: (rig: Rig, path: PlannedPath, i: number, m: Microstep) => Promise<void> | void;
}

/**
 * Replays `path`: after each step, the subject must have taken exactly the step's edges, be in
 * the model's state, and the wire must show the step's effect.
 */
export async function runPath(driver: Driver, path: PlannedPath): Promise<void> {
  const rig = await driver.setup(path);
  try {
    let cursor = rig.microsteps.length;
    await driver.begin(rig, path);
    if (driver.lazy) await driver.act(rig, path, 0);
    const first = await rig.waitForMicrostep(driver.subject, cursor, 'the subject to start');
    cursor = first.seq;
    let last = first;
    for (const key of path.initEdges) {
      last = await rig.waitForMicrostep(
        (m) => driver.subject(m) && m.keys.includes(key),
        cursor,
        `init edge ${key}`,
      );
      cursor = last.seq + 1;
    }
    expect(JSON.stringify(last.value), 'initial state').toBe(JSON.stringify(path.initial.value));
    await driver.wire(rig, path, -1, last);
    cursor = last.seq + 1;
    for (let i = 0; i < path.steps.length; i++) {
      const step = path.steps[i]!;
      if (!(driver.lazy && i === 0)) await driver.act(rig, path, i);
      // One microstep may take several edges (parallel regions); `always` ones follow it.
      for (const key of step.edges) {
        last = await rig.waitForMicrostep(
          (m) => driver.subject(m) && m.keys.includes(key),
          cursor,
          `step ${i + 1} (${step.event.type}) to take ${key}`,
        );
        cursor = last.seq;
      }
      cursor = last.seq + 1;
      expect(JSON.stringify(last.value), `state after step ${i + 1} (${step.event.type})`).toBe(
        JSON.stringify(step.state.value),
      );
      await driver.wire(rig, path, i, last);
    }
  } finally {
    await rig.dispose();
  }
}

/** The gateway path of each POST a lease posts its outcome on. */
export function outcomePath(state: string): 'ack' | 'nack' {
  return state.includes('nacking') ? 'nack' : 'ack';
}

/** `it.each` rows: one per path, named by its event sequence. */
export function rows(paths: PlannedPath[]): Array<[string, PlannedPath]> {
  return paths.map((p) => [p.name, p]);
}

/** The model's state after step `i` of `path` (`-1`: the initial state), as JSON. */
export function stateAt(path: PlannedPath, i: number): string {
  return JSON.stringify(i < 0 ? path.initial.value : path.steps[i]?.state.value);
}
