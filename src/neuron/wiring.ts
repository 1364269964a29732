/**
 * Transport callbacks → actor events. Frames go as events of their own `type`: a lease's
 * (`lease`, `cancel`, `capability-revoked`) to the lease pool, the connection's (`registered`,
 * `disconnect`) to the neuron; stream signals go to the connection actor it invokes.
 */
import type { Actor } from 'xstate';
import type { ConnectionEvent } from '../../machines/connection.js';
import type { LeasePoolEvent } from '../../machines/lease-pool.js';
import { LEASE_POOL, type NeuronMachine } from '../../machines/neuron.js';
import { GatewayStatusError } from '../errors.js';
import type { NeuronLogger } from '../logger.js';
import type { InboundFrame, ServerToNeuronFrame } from '../protocol/frames.js';
import { checkFrame, frameSchemas } from '../protocol/validate-frame.js';
import type { ReconnectInfo, Transport } from '../transport/types.js';

/**
 * Activity only re-arms the dead-stream timer (45 s by default): one event per second is
 * plenty, and a quarter of a shorter `idleTimeoutMs`, so pings dropped by the throttle cannot
 * let a live stream look dead.
 */
const ACTIVITY_THROTTLE_MS = 1_000;

/** A frame type PROTOCOL.md defines (the ones `frameSchemas` checks), not an unknown one. */
function isKnown(frame: InboundFrame): frame is ServerToNeuronFrame {
  return Object.hasOwn(frameSchemas, frame.type);
}

export interface WiringDeps {
  transport: Transport;
  actor: Actor<NeuronMachine>;
  logger: NeuronLogger;
  emitFrame: (frame: InboundFrame) => void;
  emitError: (err: Error) => void;
  emitReconnecting: (info: ReconnectInfo) => void;
  /** The connection's dead-stream timeout. */
  idleTimeoutMs: number;
  /** Check frames here: a custom transport may not (`HttpTransport` already has). */
  checkFrames: boolean;
}

export function wireTransport(deps: WiringDeps): void {
  const { actor, logger } = deps;
  // Callbacks can trail the neuron's stop by a tick; a stopped actor takes no more events.
  const active = (): boolean => actor.getSnapshot().status === 'active';
  // The connection stops (step 4 of `stop()`) while the neuron is still closing the transport:
  // a late `onClose` or second 401 then has no connection to go to.
  const toConnection = (event: ConnectionEvent): void => {
    if (!active()) return;
    const connection = actor.getSnapshot().children.connection;
    if (connection?.getSnapshot().status === 'active') connection.send(event);
  };
  // The pool lives while the neuron is active; a frame that finds none (not started, stopped)
  // has no lease to concern.
  const toPool = (event: LeasePoolEvent): void => {
    actor.system.get(LEASE_POOL)?.send(event);
  };
  let lastActivity = 0;
  const throttleMs = Math.min(ACTIVITY_THROTTLE_MS, deps.idleTimeoutMs / 4);

  deps.transport.subscribe({
    onFrame: (received) => {
      let frame = received;
      if (deps.checkFrames) {
        const checked = checkFrame(received);
        if (!checked.ok) {
          logger.warn({ reason: checked.error.reason }, checked.error.message);
          deps.emitError(checked.error);
          return;
        }
        for (const ignored of checked.ignored ?? []) logger.warn({}, ignored.message);
        frame = checked.frame;
      }
      deps.emitFrame(frame);
      if (!active()) return;
      if (!isKnown(frame)) {
        logger.debug({ type: frame.type }, 'frame of an unknown type ignored');
        return;
      }
      switch (frame.type) {
        case 'lease':
          toPool({ ...frame, receivedAt: Date.now() });
          return;
        case 'cancel':
        case 'capability-revoked':
          toPool(frame);
          return;
        default:
          actor.send(frame);
      }
    },
    onClose: (reason) => toConnection({ type: 'stream.closed', reason }),
    onError: (err) => {
      logger.warn({ err: err.message }, 'transport error');
      deps.emitError(err);
    },
    onActivity: () => {
      const now = Date.now();
      if (now - lastActivity < throttleMs) return;
      lastActivity = now;
      toConnection({ type: 'stream.activity' });
    },
    onRetryHint: (delayMs) => toConnection({ type: 'retry-hint', delayMs }),
    onAuthRejected: () =>
      toConnection({
        type: 'auth-rejected',
        error: new GatewayStatusError({ status: 401, path: 'a POST (twice in a row)' }),
      }),
    onReconnecting: (info) => deps.emitReconnecting(info),
  });
}
