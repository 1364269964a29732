/**
 * The lease pool: every lease from its frame to its settlement, in one place. It recognises
 * replays, refuses what it must, spawns one lease actor per lease (id = leaseId), keeps each
 * capability's slots and FIFO (`slots.ts`), starts leases as slots free, routes `cancel`,
 * `capability-revoked`, renewals and `lost`, lists the leases in flight for heartbeats, and
 * reports `lease:received` / `lease:settled` itself. The neuron machine keeps the connection,
 * heartbeat timing and the drain: it hears from the pool only `leases.idle`, once the last lease
 * of a draining neuron has settled.
 *
 * It is an actor of its own logic, not a machine: it holds thousands of leases in `Map`s and
 * updates them in place, where a machine's context would be copied on every event. xstate also
 * copies a machine's `children` record on every spawn and stop (O(leases) per lease) and keys it
 * by leaseId (a hidden class and a memoized `xstate.done.actor.<id>` per lease); here each of
 * those is O(1). Its decisions stay explicit: the slot rules are `slotTransition`, walked by the
 * model tests, and each lease's life is the lease machine.
 */
import {
  type ActorLogic,
  type ActorRefFrom,
  type ActorScope,
  type AnyActorRef,
  createActor,
  type Snapshot,
} from 'xstate';
import { MAX_TIMER_MS } from '../src/limits.js';
import type {
  CancelFrame,
  CapabilityRevokedFrame,
  CheckedHeartbeatAnswer,
  InFlightLease,
  LeaseFrame,
} from '../src/protocol/frames.js';
import { Deadlines } from './deadlines.js';
import type {
  LeaseEvent,
  LeaseMachine,
  LeaseNotification,
  LeaseSettled,
  Outcome,
} from './lease.js';
import { SettledLeases } from './settled-leases.js';
import { errorOf, outputOf, toError } from './shared.js';
import { LeaseQueue, type SlotCounts, type SlotEvent, slotTransition } from './slots.js';

export interface LeasePoolInput {
  /** Capability type → its concurrency limit. */
  capabilities: Record<string, number>;
  cancelGraceMs: number;
  /** Used when a lease frame has no (valid) `expiresAt`. */
  defaultLeaseTtlMs: number;
}

/** One lease the pool holds. */
export interface PoolLease {
  readonly leaseId: string;
  readonly capabilityType: string;
  readonly actor: ActorRefFrom<LeaseMachine>;
  /** Its deadline when it arrived: a queued lease is never renewed, so it holds while it waits. */
  readonly expiresAt: number;
  /** In its capability's FIFO, waiting for a slot. */
  waiting: boolean;
  /** Holding one of its capability's slots: its handler runs. */
  running: boolean;
}

export interface CapabilityState {
  counts: SlotCounts;
  queue: LeaseQueue<PoolLease>;
  /** False while the gateway does not list it as effective, or after `capability-revoked`. */
  served: boolean;
}

export interface HeartbeatAnswered {
  type: 'heartbeat-answered';
  /** ms since the epoch the heartbeat was sent. */
  sentAt: number;
  /** The leases it listed. */
  leaseIds: string[];
  /** The answer's body once checked; `undefined` when it had none (or none worth reading). */
  answer: CheckedHeartbeatAnswer | undefined;
}

export type LeasePoolEvent =
  | (LeaseFrame & { receivedAt: number })
  | CancelFrame
  | CapabilityRevokedFrame
  /** A `registered` frame: exactly these capability types are effective. */
  | { type: 'serve'; capabilityTypes: string[] }
  /** The gateway refused to register these: leases for them are refused until served again. */
  | { type: 'unserve'; capabilityTypes: string[] }
  | { type: 'update-capability'; capabilityType: string; concurrency: number }
  /** Drain step 1: refuse new leases, nack the queued ones `SHUTDOWN`. */
  | { type: 'refuse-leases' }
  /** Drain step 3: abort every lease still held. */
  | { type: 'abort-all' }
  | HeartbeatAnswered
  | LeaseNotification
  /** The pool's own timer: the soonest deadline of a queued lease has come. */
  | { type: 'queue-expiry' }
  /** The pool's own turn: deliver more of a heartbeat answer's renewals and losses. */
  | { type: 'deliver-answers' };

/** What the pool reports; the `Neuron` turns these into its events. */
export type LeasePoolEmitted =
  | {
      type: 'lease:received';
      leaseId: string;
      taskId: string;
      capabilityType: string;
      /** The task's delivery attempt, when the gateway sent one. */
      attempt: number | undefined;
      duplicate: boolean;
    }
  | ({ type: 'lease:settled' } & LeaseSettled)
  /** An outcome the gateway refused for good. */
  | { type: 'error'; error: Error };

/** What the pool tells its parent. */
export type LeasePoolNotification = { type: 'leases.idle' };

export type LeasePoolSnapshot = Snapshot<undefined> & {
  /** The leases held, by leaseId; a lease leaves when its actor reaches a final state. */
  readonly leases: ReadonlyMap<string, PoolLease>;
  readonly capabilities: ReadonlyMap<string, CapabilityState>;
  /** Settled leaseIds; a replayed `lease` for one of them is a duplicate. */
  readonly settled: SettledLeases;
  /** Drain step 1 has run: new leases are nacked `SHUTDOWN`. */
  readonly refusing: boolean;
};

export type LeasePoolLogic = ActorLogic<
  LeasePoolSnapshot,
  LeasePoolEvent,
  LeasePoolInput,
  ActorScope<LeasePoolSnapshot, LeasePoolEvent>['system'],
  LeasePoolEmitted
>;

/** Remember settled leaseIds for 10 to 20 minutes, to recognise replays. */
const SETTLED_MEMORY_MS = 10 * 60_000;

const DONE = 'xstate.done.actor.';
const QUEUE_EXPIRY = 'queue-expiry';
const DELIVER_ANSWERS = 'deliver-answers';
/** Lease steps per turn of the event loop when a heartbeat answer is delivered (~5 ms). */
const ANSWERS_PER_TURN = 500;

interface PendingAnswer {
  leaseId: string;
  event: LeaseEvent;
}
const ERROR = 'xstate.error.actor.';

/** The pool's state, mutable: only this module changes it. */
interface PoolState {
  status: 'active' | 'stopped' | 'error';
  output: undefined;
  error: unknown;
  leases: Map<string, PoolLease>;
  capabilities: Map<string, CapabilityState>;
  settled: SettledLeases;
  refusing: boolean;
  settings: LeasePoolInput;
  /** The queued leases by deadline, and when the pool's timer is set to expire the soonest. */
  deadlines: Deadlines<PoolLease>;
  expiryTimerAt: number | undefined;
  /** Heartbeat answers' events not delivered yet, from `next` on. */
  answers: { pending: PendingAnswer[]; next: number; scheduled: boolean };
}

type Scope = Parameters<LeasePoolLogic['transition']>[2];

/**
 * The leases whose handler has started and that have not settled: what heartbeats renew. From
 * the pool's actor (none when there is no pool).
 */
export function inFlightOf(pool: AnyActorRef | undefined): InFlightLease[] {
  const list: InFlightLease[] = [];
  const snapshot = pool?.getSnapshot() as LeasePoolSnapshot | undefined;
  if (!snapshot?.leases) return list;
  for (const { leaseId, actor } of snapshot.leases.values()) {
    const { startedAt, taskId } = actor.getSnapshot().context;
    if (startedAt !== undefined) {
      list.push({ leaseId, taskId, startedAt: new Date(startedAt).toISOString() });
    }
  }
  return list;
}

/**
 * The lease's deadline: its `expiresAt`, else the default TTL. Held to at most `MAX_TIMER_MS`
 * ahead, so the queued lease's expiry timer (and the retry guard) stays within what a timer
 * holds; a deadline already past is kept (the lease then settles `expired` without running).
 */
function leaseExpiry(frame: LeaseFrame, receivedAt: number, defaultTtlMs: number): number {
  const parsed = frame.expiresAt === undefined ? Number.NaN : Date.parse(frame.expiresAt);
  return Number.isFinite(parsed) ? boundedDeadline(parsed, receivedAt) : receivedAt + defaultTtlMs;
}

function boundedDeadline(expiresAt: number, now: number): number {
  return Math.min(expiresAt, now + MAX_TIMER_MS);
}

const nack = (reason: string, code: string): Outcome => ({
  kind: 'nack',
  nack: 'retryable',
  reason,
  code,
});

export interface LeasePoolEffects {
  /**
   * A lease actor is being stopped from outside (the pool stops: the neuron stops or fails): let
   * its handler go, if it runs one. xstate runs no exit action when it stops a machine.
   */
  abandon?: (lease: AnyActorRef) => void;
}

/** The pool's logic over `lease`, the lease machine with its effects provided. */
export function leasePool(lease: LeaseMachine, effects: LeasePoolEffects = {}): LeasePoolLogic {
  /** Send one lease an event (dropped if the pool no longer holds it). */
  const tell = (held: PoolLease | undefined, event: LeaseEvent): void => {
    held?.actor.send(event);
  };

  /** Apply a slot event to a capability and start the leases it admits. */
  const slot = (capability: CapabilityState, event: SlotEvent): void => {
    const step = slotTransition(capability.counts, event);
    capability.counts = step.counts;
    for (let i = 0; i < step.start; i++) {
      const next = capability.queue.shift();
      if (!next) break;
      next.waiting = false;
      next.running = true;
      next.actor.send({ type: 'start' });
    }
  };

  /** A queued lease leaves the line without running: its place goes to the next one. */
  const withdraw = (state: PoolState, held: PoolLease): void => {
    if (!held.waiting) return;
    held.waiting = false;
    const capability = state.capabilities.get(held.capabilityType);
    if (capability) slot(capability, { type: 'withdrawn' });
  };

  const reportIdle = (state: PoolState, scope: Scope): void => {
    if (state.refusing && state.leases.size === 0) {
      const parent: AnyActorRef | undefined = scope.self._parent;
      parent?.send({ type: 'leases.idle' } satisfies LeasePoolNotification);
    }
  };

  const receive = (
    state: PoolState,
    frame: LeaseFrame & { receivedAt: number },
    scope: Scope,
  ): void => {
    // The frame goes to the lease as it came (with `receivedAt`): no copy per lease.
    const leaseFrame: LeaseFrame = frame;
    const { receivedAt } = frame;
    const { leaseId, capabilityType } = leaseFrame;
    const duplicate = state.leases.has(leaseId) || state.settled.has(leaseId);
    scope.emit({
      type: 'lease:received',
      leaseId,
      taskId: leaseFrame.task.taskId,
      capabilityType,
      attempt: leaseFrame.task.attempt,
      duplicate,
    });
    if (duplicate) return;
    const refusal = state.refusing
      ? nack('the neuron is shutting down', 'SHUTDOWN')
      : state.capabilities.get(capabilityType)?.served
        ? undefined
        : nack(`this neuron does not serve ${capabilityType}`, 'UNKNOWN_CAPABILITY');
    const expiresAt = leaseExpiry(leaseFrame, receivedAt, state.settings.defaultLeaseTtlMs);
    const actor = createActor(lease, {
      id: leaseId,
      parent: scope.self,
      input: {
        frame: leaseFrame,
        receivedAt,
        expiresAt,
        cancelGraceMs: state.settings.cancelGraceMs,
        refusal,
      },
    });
    state.leases.set(leaseId, {
      leaseId,
      capabilityType,
      actor,
      expiresAt,
      waiting: false,
      running: false,
    });
    actor.start();
  };

  /**
   * Queued leases whose deadline has passed leave the line (and hear `expire`) before any slot
   * decision, so a freed slot never goes to one; then the timer is set for the next deadline.
   */
  const expireDue = (state: PoolState, scope: Scope): void => {
    const now = Date.now();
    for (let next = state.deadlines.peek(); next; next = state.deadlines.peek()) {
      if (next.item.waiting && next.at > now) break;
      state.deadlines.pop();
      if (!next.item.waiting) continue;
      withdraw(state, next.item);
      tell(next.item, { type: 'expire' });
    }
    const soonest = state.deadlines.peek()?.at;
    if (soonest === state.expiryTimerAt) return;
    const { scheduler } = scope.system;
    if (state.expiryTimerAt !== undefined) scheduler.cancel(scope.self, QUEUE_EXPIRY);
    state.expiryTimerAt = soonest;
    if (soonest === undefined) return;
    scheduler.schedule(
      scope.self,
      scope.self,
      { type: QUEUE_EXPIRY },
      Math.max(0, soonest - now),
      QUEUE_EXPIRY,
    );
  };

  const queued = (state: PoolState, held: PoolLease | undefined, scope: Scope): void => {
    const capability = held && state.capabilities.get(held.capabilityType);
    if (!held || !capability) return;
    expireDue(state, scope);
    held.waiting = true;
    capability.queue.push(held);
    slot(capability, { type: 'queued' });
    // Still waiting: its deadline joins the others (the timer follows the soonest).
    if (held.waiting) {
      state.deadlines.push(held.expiresAt, held);
      if (state.expiryTimerAt === undefined || held.expiresAt < state.expiryTimerAt) {
        expireDue(state, scope);
      }
    }
  };

  const released = (state: PoolState, held: PoolLease | undefined, scope: Scope): void => {
    if (!held?.running) return;
    held.running = false;
    const capability = state.capabilities.get(held.capabilityType);
    if (!capability) return;
    expireDue(state, scope);
    slot(capability, { type: 'released' });
  };

  const settled = (state: PoolState, leaseId: string, output: LeaseSettled, scope: Scope) => {
    const held = state.leases.get(leaseId);
    if (!held) return;
    withdraw(state, held);
    released(state, held, scope);
    state.leases.delete(leaseId);
    state.settled.add(leaseId, Date.now());
    scope.emit({ type: 'lease:settled', ...output });
    reportIdle(state, scope);
  };

  /**
   * The heartbeat's answer (checked by the heartbeat actor: only well-formed entries reach
   * here). A listed lease named in `leases` gets that deadline; one named in `lost` is lost.
   * With no `leases` list (no body, or a body without one) every listed lease that is not lost
   * was renewed for its original TTL, counted from when the heartbeat was sent.
   */
  const heartbeatAnswered = (state: PoolState, event: HeartbeatAnswered, scope: Scope): void => {
    const lost = new Set(event.answer?.lost);
    const renewals = event.answer?.leases;
    const renewed = new Map(renewals?.map((l) => [l.leaseId, l.expiresAt]));
    const now = Date.now();
    const { pending } = state.answers;
    for (const leaseId of event.leaseIds) {
      if (lost.has(leaseId) || !state.leases.has(leaseId)) continue;
      const expiresAt = renewed.get(leaseId);
      if (expiresAt !== undefined) {
        pending.push({
          leaseId,
          event: { type: 'renewed', expiresAt: boundedDeadline(expiresAt, now) },
        });
      } else if (renewals === undefined) {
        pending.push({ leaseId, event: { type: 'heartbeat-accepted', sentAt: event.sentAt } });
      }
    }
    // A queued lease may be named too (the gateway reclaimed it): it leaves the line now, so it
    // never starts, and hears `lost` with the rest; it posts nothing.
    for (const leaseId of lost) {
      const held = state.leases.get(leaseId);
      if (!held) continue;
      withdraw(state, held);
      pending.push({ leaseId, event: { type: 'lost' } });
    }
    deliverAnswers(state, scope);
  };

  /**
   * Up to `ANSWERS_PER_TURN` of the answer's events, then the rest on the next turn of the event
   * loop: each is a step of a lease actor (~10 µs), and an answer for 10 000 leases in one go
   * would block the loop for a tenth of a second. Renewals and losses keep their order, also
   * across answers.
   */
  const deliverAnswers = (state: PoolState, scope: Scope): void => {
    const answers = state.answers;
    const end = Math.min(answers.next + ANSWERS_PER_TURN, answers.pending.length);
    for (; answers.next < end; answers.next++) {
      const { leaseId, event } = answers.pending[answers.next] as PendingAnswer;
      tell(state.leases.get(leaseId), event);
    }
    if (answers.next >= answers.pending.length) {
      answers.pending = [];
      answers.next = 0;
    } else if (!answers.scheduled) {
      answers.scheduled = true;
      scope.system.scheduler.schedule(
        scope.self,
        scope.self,
        { type: DELIVER_ANSWERS },
        0,
        DELIVER_ANSWERS,
      );
    }
  };

  /** Abort the leases `which` picks; queued ones leave the line at once. */
  const abortWhere = (
    state: PoolState,
    which: (held: PoolLease) => boolean,
    reason: 'shutdown' | 'revoked',
  ): void => {
    for (const held of state.leases.values()) {
      if (!which(held)) continue;
      withdraw(state, held);
      tell(held, { type: 'abort', reason });
    }
  };

  const stopAll = (state: PoolState, scope: Scope): void => {
    for (const { actor } of state.leases.values()) {
      effects.abandon?.(actor);
      scope.stopChild(actor);
    }
    state.leases.clear();
  };

  return {
    getInitialSnapshot: (_, input) => {
      const capabilities = new Map<string, CapabilityState>();
      for (const [type, limit] of Object.entries(input.capabilities)) {
        capabilities.set(type, {
          counts: { limit, running: 0, queued: 0 },
          queue: new LeaseQueue(),
          served: true,
        });
      }
      const state: PoolState = {
        status: 'active',
        output: undefined,
        error: undefined,
        leases: new Map(),
        capabilities,
        settled: new SettledLeases(SETTLED_MEMORY_MS, Date.now()),
        refusing: false,
        settings: input,
        deadlines: new Deadlines(),
        expiryTimerAt: undefined,
        answers: { pending: [], next: 0, scheduled: false },
      };
      return state as LeasePoolSnapshot;
    },
    // The snapshot is updated in place: it holds live actor references, never persisted or
    // compared.
    transition: (snapshot, received, scope) => {
      const state = snapshot as unknown as PoolState;
      if (received.type.startsWith(DONE)) {
        const leaseId = received.type.slice(DONE.length);
        settled(state, leaseId, outputOf(received) as LeaseSettled, scope);
        return snapshot;
      }
      if (received.type.startsWith(ERROR)) {
        // A lease actor failed (an SDK bug: handlers' failures are outcomes). xstate ends a
        // failed actor without sending it `xstate.stop`: the other leases are stopped here
        // (their handlers aborted), or they would run on, orphaned; the neuron fails with it.
        stopAll(state, scope);
        throw errorOf(received);
      }
      const event = received as LeasePoolEvent | { type: 'xstate.stop' };
      switch (event.type) {
        case 'lease':
          receive(state, event, scope);
          break;
        case 'lease.queued':
          queued(state, state.leases.get(event.leaseId), scope);
          break;
        case 'lease.slot-released':
          released(state, state.leases.get(event.leaseId), scope);
          break;
        case QUEUE_EXPIRY:
          state.expiryTimerAt = undefined;
          expireDue(state, scope);
          break;
        case 'lease.rejected':
          scope.emit({ type: 'error', error: toError(event.error) });
          break;
        case 'cancel': {
          const held = state.leases.get(event.leaseId);
          if (!held) break;
          withdraw(state, held);
          tell(
            held,
            event.reason === undefined
              ? { type: 'cancel' }
              : { type: 'cancel', reason: event.reason },
          );
          break;
        }
        case 'capability-revoked': {
          const capability = state.capabilities.get(event.capabilityType);
          if (capability) capability.served = false;
          abortWhere(state, (held) => held.capabilityType === event.capabilityType, 'revoked');
          break;
        }
        case 'serve': {
          const effective = new Set(event.capabilityTypes);
          for (const [type, capability] of state.capabilities) {
            capability.served = effective.has(type);
          }
          break;
        }
        case 'unserve':
          for (const type of event.capabilityTypes) {
            const capability = state.capabilities.get(type);
            if (capability) capability.served = false;
          }
          break;
        case 'update-capability': {
          const capability = state.capabilities.get(event.capabilityType);
          if (!capability) break;
          expireDue(state, scope);
          slot(capability, { type: 'limit', limit: event.concurrency });
          break;
        }
        case 'refuse-leases':
          state.refusing = true;
          abortWhere(state, (held) => held.waiting, 'shutdown');
          reportIdle(state, scope);
          break;
        case 'abort-all':
          abortWhere(state, () => true, 'shutdown');
          break;
        case 'heartbeat-answered':
          heartbeatAnswered(state, event, scope);
          break;
        case DELIVER_ANSWERS:
          state.answers.scheduled = false;
          deliverAnswers(state, scope);
          break;
        case 'xstate.stop':
          stopAll(state, scope);
          state.status = 'stopped';
          break;
      }
      return snapshot;
    },
    getPersistedSnapshot: ({ status, output, error }) =>
      ({ status, output, error }) as Snapshot<undefined>,
  };
}
