/**
 * What the environment can do to each machine: the events (with the payloads that steer its
 * guards) possible in each state, the inputs to start from, and what identifies a state. These
 * feed `planPaths`; the live drivers then make each event happen for real.
 */
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  assign,
  type EventObject,
} from 'xstate';
import { connectionMachine } from '../../machines/connection.js';
import { drainMachine } from '../../machines/drain.js';
import { inputMismatch, type LeaseContext, leaseMachine } from '../../machines/lease.js';
import { neuronMachine } from '../../machines/neuron.js';
import { GatewayStatusError, NeuronError } from '../../src/errors.js';
import type { PlanOptions } from './graph.js';

/** A model event: the machine's event plus a label naming the variant in test titles. */
export type ModelEvent = EventObject & { label?: string; [key: string]: unknown };

export interface Model {
  machine: AnyStateMachine;
  plan: PlanOptions;
}

const value = (s: AnyMachineSnapshot): string => JSON.stringify(s.value);

/**
 * The machine with every action but `assign` made inert, for a pure traversal: the guards read
 * only context and events, and actions that message a parent or children have nobody to talk
 * to there. The transitions (and so the edge keys) are the machine's own.
 */
function forPlanning<M extends AnyStateMachine>(machine: M): M {
  const actions: Record<string, () => void> = {};
  const named = (machine.implementations.actions ?? {}) as Record<string, { type?: string }>;
  for (const [name, action] of Object.entries(named)) {
    if (action?.type !== 'xstate.assign') actions[name] = () => {};
  }
  return machine.provide({ actions } as never) as M;
}

/** Event types the active state nodes (and their ancestors) handle. */
function ownEventTypes(state: AnyMachineSnapshot): Array<{ node: AnyStateNode; type: string }> {
  const seen = new Set<string>();
  const out: Array<{ node: AnyStateNode; type: string }> = [];
  for (const node of state._nodes as AnyStateNode[]) {
    for (const type of node.transitions.keys()) {
      if (seen.has(type)) continue;
      seen.add(type);
      out.push({ node, type });
    }
  }
  return out;
}

type Variants = (type: string, state: AnyMachineSnapshot) => ModelEvent[] | undefined;

/** Every event type handled in `state`, expanded to its variants (`{ type }` when none). */
function expand(state: AnyMachineSnapshot, variants: Variants): ModelEvent[] {
  if (state.status !== 'active') return [];
  return ownEventTypes(state).flatMap(({ type }) => variants(type, state) ?? [{ type }]);
}

/** The gateway refused: the transport's `GatewayStatusError`. */
const status = (s: number, extra: { gatewayCode?: string; retryAfterMs?: number } = {}) => ({
  error: new GatewayStatusError({ status: s, path: 'model', ...extra }),
  label: String(s),
});

// --- connection ------------------------------------------------------------------------------

/** The `auth` callback threw `CredentialRevokedError` (AUTH.md §4). */
export const REVOKED = {
  error: new NeuronError('NEURON_ERR_CREDENTIAL_REVOKED', 'the credential was revoked'),
  label: 'credential revoked',
};

export const connectionModel: Model = {
  machine: forPlanning(connectionMachine),
  plan: {
    inputs: {
      default: {
        settings: { initialReconnectDelayMs: 20, maxReconnectDelayMs: 60, idleTimeoutMs: 150 },
      },
    },
    serializeState: value,
    events: (state) => {
      const open = state.matches('open');
      return expand(state, (type) => {
        if (type === 'xstate.error.actor.0.connection.connecting')
          return [...[401, 403, 503].map((s) => ({ type, ...status(s) })), { type, ...REVOKED }];
        if (type === 'xstate.error.actor.0.connection.auth-refresh')
          return [...[403, 401, 503].map((s) => ({ type, ...status(s) })), { type, ...REVOKED }];
        if (type === 'xstate.error.actor.0.connection.open.session.registering')
          return [
            { type, ...status(403) },
            { type, ...status(409, { gatewayCode: 'NO_STREAM' }), label: '409 NO_STREAM' },
            { type, ...status(503) },
          ];
        if (type === 'registered') return [{ type, sessionId: 's-model' }];
        if (type === 'retry-hint') return open ? [{ type, delayMs: 30 }] : [];
        if (type === 'disconnect') return [{ type, reason: 'model', reconnectAfterMs: 30 }];
        if (type === 'stream.closed') return [{ type, reason: 'dropped' }];
        return undefined;
      });
    },
  },
};

// --- lease -----------------------------------------------------------------------------------

const NOW = Date.now();
const leaseFrame = {
  type: 'lease' as const,
  leaseId: 'l-model',
  capabilityType: 'model/subject',
  task: { taskId: 't-model', input: { n: 1 } },
};

/** The subject capability's schema, as the planner sees it: an input must be an object. */
const plannedValidation = leaseMachine.provide({
  actions: {
    validateInput: assign(({ context }: { context: LeaseContext }) =>
      typeof context.task.input === 'object' && context.task.input !== null
        ? { input: context.task.input }
        : { outcome: inputMismatch({ phase: 'input', errors: [] }) },
    ),
  },
});

export const leaseModel: Model = {
  machine: forPlanning(plannedValidation),
  plan: {
    inputs: {
      accepted: {
        frame: leaseFrame,
        receivedAt: NOW,
        expiresAt: NOW + 3_600_000,
        cancelGraceMs: 1_000,
      },
      /** Its input does not match the capability's schema. */
      mismatch: {
        frame: { ...leaseFrame, task: { ...leaseFrame.task, input: 'not an object' } },
        receivedAt: NOW,
        expiresAt: NOW + 3_600_000,
        cancelGraceMs: 1_000,
      },
      /** Its `expiresAt` had passed when it arrived. */
      expired: {
        frame: leaseFrame,
        receivedAt: NOW,
        expiresAt: NOW - 1_000,
        cancelGraceMs: 1_000,
      },
      refused: {
        frame: leaseFrame,
        receivedAt: NOW,
        expiresAt: NOW + 3_600_000,
        cancelGraceMs: 1_000,
        refusal: {
          kind: 'nack',
          nack: 'retryable',
          reason: 'not served',
          code: 'UNKNOWN_CAPABILITY',
        },
      },
    },
    // Whether the handler ran (heartbeats list the lease) and whether a retry waits long
    // enough to be met: finite flags, never the timestamps themselves.
    serializeState: (s) =>
      JSON.stringify([s.value, s.context.startedAt !== undefined, s.context.retryDelayMs >= 1_000]),
    events: (state) => {
      // Heartbeats list a lease from the start of its handler until it settles; renewals reach
      // it only then. A gateway can hold an outcome POST only by asking for a later retry.
      const running = state.matches('executing');
      const retrying =
        state.context.startedAt !== undefined &&
        state.context.retryDelayMs >= 1_000 &&
        (state.matches({ acking: 'retrying' }) || state.matches({ nacking: 'retrying' }));
      return expand(state, (type) => {
        if (type === 'abort') return [{ type, reason: 'revoked' }];
        if (type === 'handler.settled')
          return [
            { type, outcome: { kind: 'ack', output: { ok: true } }, label: 'ack' },
            {
              type,
              outcome: { kind: 'nack', nack: 'retryable', reason: 'threw' },
              label: 'nack',
            },
          ];
        if (type === 'outcome.failed')
          return [
            { type, ...status(409), label: '409 not held' },
            { type, ...status(503, { retryAfterMs: 0 }), label: '503 retry' },
            { type, ...status(503, { retryAfterMs: 10_000 }), label: '503 retry later' },
            { type, ...status(503, { retryAfterMs: 7_200_000 }), label: '503 past expiry' },
            { type, ...status(400), label: '400 refused' },
          ];
        if (type === 'renewed') return running ? [{ type, expiresAt: NOW + 7_200_000 }] : [];
        if (type === 'heartbeat-accepted') return running ? [{ type, sentAt: NOW }] : [];
        if (type === 'lost')
          return running || retrying || state.matches('queued') ? [{ type }] : [];
        return undefined;
      });
    },
  },
};

// --- drain -----------------------------------------------------------------------------------

export const drainModel: Model = {
  machine: forPlanning(drainMachine),
  plan: {
    inputs: {
      drain: { drain: true, timeoutMs: 60_000, abortGraceMs: 60_000 },
      'no-drain': { drain: false, timeoutMs: 60_000, abortGraceMs: 60_000 },
    },
    serializeState: value,
    events: (state) =>
      expand(state, (type) => {
        if (type === 'xstate.error.actor.0.drain.closing')
          return [{ type, error: new Error('close failed'), label: 'close failed' }];
        return undefined;
      }),
  },
};

// --- neuron ----------------------------------------------------------------------------------

export const neuronModel: Model = {
  machine: forPlanning(neuronMachine),
  plan: {
    inputs: {
      default: {
        capabilities: { 'model/subject': 1 },
        heartbeatIntervalMs: 50,
        cancelGraceMs: 1_000,
        defaultLeaseTtlMs: 30_000,
        abortGraceMs: 1_000,
        reconnect: { initialReconnectDelayMs: 20, maxReconnectDelayMs: 60, idleTimeoutMs: 60_000 },
      },
    },
    serializeState: value,
    events: (state) =>
      expand(state, (type) => {
        if (type === 'stop') return [{ type, drain: true, timeoutMs: 60_000 }];
        if (type === 'xstate.done.actor.0.neuron.active.heartbeat.on.beating')
          return [
            { type, output: { sentAt: NOW, leaseIds: [], answer: { leases: [], lost: [] } } },
          ];
        // A 401 never reaches the heartbeat: the transport escalates it (`auth-rejected` in
        // the connection), which closes the connection and heartbeats with it.
        if (type === 'xstate.error.actor.0.neuron.active.heartbeat.on.beating')
          return [404, 400, 503].map((s) => ({ type, ...status(s) }));
        if (type === 'connection.registered') return [{ type, sessionId: 's-model' }];
        if (type === 'connection.error')
          return [{ type, error: new Error('refused'), label: 'register 403' }];
        return undefined;
      }),
  },
};

export const models = {
  connection: connectionModel,
  lease: leaseModel,
  drain: drainModel,
  neuron: neuronModel,
};
