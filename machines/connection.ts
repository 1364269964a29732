/**
 * The connection: PROTOCOL.md "Connection sequence", "Backoff" and "Authentication failures".
 *
 * The machine holds no socket. Opening the SSE stream and posting `register` are the actors
 * `openStream` and `register`; closing the stream is the action `closeStream`. The stream's own
 * callbacks arrive as events (`stream.closed`, `stream.activity`, `retry-hint`), and the frames
 * that concern the connection (`registered`, `disconnect`) are forwarded by the neuron.
 */
import { assign, enqueueActions, sendParent, setup } from 'xstate';
import { isCredentialRevoked } from '../src/errors.js';
import { clamp } from '../src/limits.js';
import { describe, errorOf, notProvided, retryAfterOf, statusOf, toError } from './shared.js';

export interface ReconnectSettings {
  /** @default 500 */
  initialReconnectDelayMs: number;
  /** @default 30_000 */
  maxReconnectDelayMs: number;
  /** A stream silent this long is dead. @default 45_000 */
  idleTimeoutMs: number;
}

export interface ConnectionInput {
  settings: ReconnectSettings;
}

export interface ConnectionContext {
  settings: ReconnectSettings;
  /** Consecutive failed attempts since the last `registered`. */
  attempt: number;
  /** The delay the next reconnect waits, fixed when `backoff` is entered. */
  delayMs: number;
  /** A `retry:` hint or `reconnectAfterMs` that sets the next delay. */
  hintMs: number | undefined;
  /** 403 on open: back off with the maximum delay. */
  forbidden: boolean;
  /** A rejected token (a second 401) was reported since the last registration. */
  tokenRejectionReported: boolean;
  reason: string;
  sessionId: string | undefined;
}

export type ConnectionEvent =
  | { type: 'stop' }
  | { type: 'stream.closed'; reason: string }
  | { type: 'stream.activity' }
  | { type: 'retry-hint'; delayMs: number }
  | { type: 'registered'; sessionId: string }
  | { type: 'disconnect'; reason?: string; reconnectAfterMs?: number }
  /** 404 `NO_SESSION` on a heartbeat: post `register` again. */
  | { type: 'session-lost' }
  /** A second consecutive 401 on a POST. */
  | { type: 'auth-rejected'; error: Error };

/** What the connection tells its parent, the neuron. */
export type ConnectionNotification =
  | { type: 'connection.open' }
  | { type: 'connection.registered'; sessionId: string }
  | { type: 'connection.closed'; reason: string }
  | { type: 'connection.reconnecting'; attempt: number; delayMs: number; reason: string }
  | { type: 'connection.error'; error: Error };

/** Exponential backoff with equal jitter: a delay in [d/2, d], d = initial·2^(attempt−1) ≤ max. */
export function reconnectDelay(
  attempt: number,
  settings: ReconnectSettings,
  random: number,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(
    settings.maxReconnectDelayMs,
    settings.initialReconnectDelayMs * 2 ** exponent,
  );
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

export const connectionMachine = setup({
  types: {
    input: {} as ConnectionInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
  },
  actors: {
    /** Open the SSE stream; resolves once it is open (200 `text/event-stream`). */
    openStream: notProvided('connection', 'openStream'),
    /** POST `register` with every capability. */
    register: notProvided('connection', 'register'),
  },
  actions: {
    /** Close the SSE stream if one is open. */
    closeStream: () => {},
    notifyOpen: sendParent({ type: 'connection.open' } satisfies ConnectionNotification),
    notifyRegistered: sendParent(
      ({ context }): ConnectionNotification => ({
        type: 'connection.registered',
        sessionId: context.sessionId ?? '',
      }),
    ),
    notifyClosed: sendParent(
      ({ context }): ConnectionNotification => ({
        type: 'connection.closed',
        reason: context.reason,
      }),
    ),
    notifyReconnecting: sendParent(
      ({ context }): ConnectionNotification => ({
        type: 'connection.reconnecting',
        attempt: context.attempt,
        delayMs: context.delayMs,
        reason: context.reason,
      }),
    ),
    notifyError: sendParent(
      ({ event }): ConnectionNotification => ({
        type: 'connection.error',
        error: toError(errorOf(event)),
      }),
    ),
    /**
     * Why the attempt failed; a `Retry-After` on the refusal (429/503 on the open or on register)
     * sets the next delay, as it does for POSTs: a careful client does not come back sooner.
     */
    recordFailure: assign(({ context, event }) => {
      const error = errorOf(event);
      return { reason: describe(error), hintMs: retryAfterOf(error) ?? context.hintMs };
    }),
    recordForbidden: assign({ forbidden: true }),
    recordSession: assign({
      sessionId: ({ event }) => (event.type === 'registered' ? event.sessionId : undefined),
      attempt: 0,
      forbidden: false,
      tokenRejectionReported: false,
    }),
    /**
     * The gateway rejected the token twice in a row (401): an `error` event once per streak of
     * rejections, not per retry, so a wrong token is never silent and never floods.
     */
    reportTokenRejected: enqueueActions(({ context, enqueue }) => {
      if (context.tokenRejectionReported) return;
      enqueue.assign({ tokenRejectionReported: true });
      enqueue('notifyError');
    }),
    recordStreamClosed: assign({
      reason: ({ event }) => (event.type === 'stream.closed' ? event.reason : 'stream closed'),
    }),
    recordDisconnect: assign(({ event }) =>
      event.type === 'disconnect'
        ? {
            reason: `gateway disconnect: ${event.reason ?? 'no reason given'}`,
            hintMs: event.reconnectAfterMs,
          }
        : {},
    ),
    recordIdle: assign(({ context }) => ({
      reason: `no bytes on the stream for ${context.settings.idleTimeoutMs} ms`,
    })),
    recordAuthRejected: assign({ reason: 'the gateway rejected the token twice (401)' }),
    recordRetryHint: assign({
      hintMs: ({ event }) => (event.type === 'retry-hint' ? event.delayMs : undefined),
    }),
    /** Fix the next delay: the maximum after a 403, else a hint, else exponential with jitter. */
    planReconnect: assign(({ context }) => {
      const attempt = context.attempt + 1;
      const max = context.settings.maxReconnectDelayMs;
      let delayMs: number;
      if (context.forbidden) delayMs = max;
      // A hint (`retry:`, `reconnectAfterMs`, `Retry-After`) sets the delay within the floor and
      // the maximum: a gateway asking for 0 ms must not make a hot reconnect loop.
      else if (context.hintMs !== undefined)
        delayMs = clamp(context.hintMs, context.settings.initialReconnectDelayMs, max);
      else delayMs = reconnectDelay(attempt, context.settings, Math.random());
      return { attempt, delayMs, hintMs: undefined, sessionId: undefined };
    }),
  },
  guards: {
    unauthorized: ({ event }) => statusOf(errorOf(event)) === 401,
    forbidden: ({ event }) => statusOf(errorOf(event)) === 403,
    /**
     * The `auth` callback's credential was revoked (AUTH.md §4: "keeps reconnecting at its
     * maximum delay; it never retries faster"). The transport has reported it already.
     */
    credentialRevoked: ({ event }) => isCredentialRevoked(errorOf(event)),
    /** 400 `INVALID_FRAME` or 403 on register: the stream stays open, no leases come. */
    registrationRefused: ({ event }) => {
      const status = statusOf(errorOf(event));
      return status === 400 || status === 403;
    },
  },
  delays: {
    reconnectBackoff: ({ context }) => context.delayMs,
    idleTimeout: ({ context }) => context.settings.idleTimeoutMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    settings: input.settings,
    attempt: 0,
    delayMs: 0,
    hintMs: undefined,
    forbidden: false,
    tokenRejectionReported: false,
    reason: '',
    sessionId: undefined,
  }),
  initial: 'connecting',
  on: {
    stop: { target: '.stopped' },
    'retry-hint': { actions: 'recordRetryHint' },
  },
  states: {
    connecting: {
      invoke: {
        src: 'openStream',
        onDone: { target: 'open', actions: 'notifyOpen' },
        onError: [
          { guard: 'unauthorized', target: 'auth-refresh' },
          {
            guard: 'forbidden',
            target: 'backoff',
            actions: ['recordFailure', 'recordForbidden', 'notifyError'],
          },
          {
            guard: 'credentialRevoked',
            target: 'backoff',
            actions: ['recordFailure', 'recordForbidden'],
          },
          { target: 'backoff', actions: 'recordFailure' },
        ],
      },
    },
    /** A 401 on open: `auth` is called again by the re-open, once; a second 401 escalates. */
    'auth-refresh': {
      invoke: {
        src: 'openStream',
        onDone: { target: 'open', actions: 'notifyOpen' },
        onError: [
          {
            guard: 'forbidden',
            target: 'backoff',
            actions: ['recordFailure', 'recordForbidden', 'notifyError'],
          },
          {
            guard: 'credentialRevoked',
            target: 'backoff',
            actions: ['recordFailure', 'recordForbidden'],
          },
          {
            guard: 'unauthorized',
            target: 'backoff',
            actions: ['recordFailure', 'reportTokenRejected'],
          },
          { target: 'backoff', actions: 'recordFailure' },
        ],
      },
    },
    /** The stream is open: register, then stay registered while bytes keep coming. */
    open: {
      type: 'parallel',
      on: {
        'stream.closed': { target: 'backoff', actions: ['recordStreamClosed', 'notifyClosed'] },
        disconnect: { target: 'backoff', actions: ['recordDisconnect', 'notifyClosed'] },
        'auth-rejected': {
          target: 'backoff',
          actions: ['recordAuthRejected', 'reportTokenRejected', 'notifyClosed'],
        },
      },
      states: {
        session: {
          initial: 'registering',
          states: {
            registering: {
              invoke: {
                src: 'register',
                onError: [
                  { guard: 'registrationRefused', target: 'rejected', actions: 'notifyError' },
                  // 409 `NO_STREAM` (the gateway lost the stream), 429, 5xx…: reconnect.
                  { target: '#connection.backoff', actions: 'recordFailure' },
                ],
              },
              on: {
                registered: {
                  target: 'registered',
                  actions: ['recordSession', 'notifyRegistered'],
                },
              },
            },
            registered: {
              on: {
                'session-lost': 'registering',
                registered: { actions: ['recordSession', 'notifyRegistered'] },
              },
            },
            /** The gateway refused the registration; the stream stays open, lease-less. */
            rejected: {
              on: {
                registered: {
                  target: 'registered',
                  actions: ['recordSession', 'notifyRegistered'],
                },
              },
            },
          },
        },
        liveness: {
          initial: 'watching',
          states: {
            watching: {
              on: { 'stream.activity': { target: 'watching', reenter: true } },
              after: {
                idleTimeout: {
                  target: '#connection.backoff',
                  actions: ['recordIdle', 'notifyClosed'],
                },
              },
            },
          },
        },
      },
    },
    backoff: {
      entry: ['closeStream', 'planReconnect', 'notifyReconnecting'],
      after: { reconnectBackoff: 'connecting' },
    },
    stopped: {
      type: 'final',
      entry: 'closeStream',
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
