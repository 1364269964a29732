import {
  type AckFrame,
  type ClientFrame,
  GatewayErrorCode,
  type HeartbeatAnswer,
  type HeartbeatFrame,
  NackCode,
  type NackFrame,
  type PostPath,
  type ProgressFrame,
  type RegisteredFrame,
  type RegisterFrame,
  type RejectedCapability,
  type UpdateCapabilityFrame,
} from '../protocol/frames.js';
import { iso } from './dispatch.js';
import { type Answer, errorAnswer } from './http.js';
import type { GatewayHub, NeuronCapability } from './hub.js';
import { namespaceRefusal, registrationRefusal } from './identity/namespace.js';
import type { TokenIdentity } from './identity/types.js';
import type { LeaseRecord } from './types.js';
import { checkFrame } from './validate.js';

const { INVALID_FRAME, NO_STREAM, NO_SESSION, LEASE_NOT_HELD, CAPABILITY_DENIED } =
  GatewayErrorCode;

type Handler<F extends ClientFrame> = (
  hub: GatewayHub,
  frame: F,
  identity: TokenIdentity | undefined,
) => Answer;

/**
 * Checks a POST body's shape (400 `INVALID_FRAME`), then handles the frame. `identity` is the
 * request token's, when the identity provider is on: `register` and `update-capability` then
 * apply AUTH.md §5's namespace table.
 */
export function handlePost(
  hub: GatewayHub,
  path: PostPath,
  body: unknown,
  identity?: TokenIdentity,
): Answer {
  const checked = checkFrame(path, body);
  if ('problem' in checked) return errorAnswer(400, INVALID_FRAME, checked.problem);
  return (handlers[path] as Handler<ClientFrame>)(hub, checked.frame, identity);
}

const handlers: { [P in PostPath]: Handler<Extract<ClientFrame, { type: P }>> } = {
  register,
  'update-capability': updateCapability,
  heartbeat,
  ack,
  nack,
  progress,
};

/** 202, then the `registered` frame on the stream; dispatch to the neuron may begin. */
function register(
  hub: GatewayHub,
  frame: RegisterFrame,
  identity: TokenIdentity | undefined,
): Answer {
  const entry = hub.neuron(frame.neuronId);
  if (!entry?.channel.open) return noStream(frame.neuronId);
  const forbidden = identity && registrationRefusal(identity, frame.capabilities);
  if (forbidden) return errorAnswer(403, forbidden.code, forbidden.message!);
  const refusal = hub.options.registerPolicy?.(frame);
  if (refusal) return errorAnswer(403, refusal.code, refusal.message ?? 'registration refused');

  const accepted: NeuronCapability[] = [];
  const rejected: RejectedCapability[] = [];
  for (const cap of frame.capabilities) {
    const denied = hub.options.capabilityPolicy?.(frame.neuronId, cap);
    if (denied) rejected.push({ type: cap.type, ...denied });
    else accepted.push({ ...cap, revoked: false });
  }
  // A re-registration replaces the capability set (clearing revocations) and the session id;
  // leases already held stay held.
  entry.capabilities = new Map(accepted.map((cap) => [cap.type, cap]));
  entry.sessionId = hub.newSessionId();
  entry.dispatchable = true;
  entry.protocolVersion = frame.protocolVersion;
  entry.sdk = frame.sdk;

  const heartbeatIntervalMs = hub.options.heartbeatIntervalMs;
  const registered: RegisteredFrame = {
    type: 'registered',
    sessionId: entry.sessionId,
    capabilities: accepted.map(({ type, scope, concurrency }) => ({ type, scope, concurrency })),
    ...(rejected.length > 0 && { rejected }),
    ...(heartbeatIntervalMs !== undefined && { heartbeatIntervalMs }),
  };
  const afterSend = (): void => {
    hub.send(entry, registered);
    hub.events.emit('registered', {
      neuronId: entry.neuronId,
      sessionId: registered.sessionId,
      capabilities: registered.capabilities,
      rejected,
    });
    hub.scheduleDispatch();
  };
  return { status: 202, afterSend };
}

function updateCapability(
  hub: GatewayHub,
  frame: UpdateCapabilityFrame,
  identity: TokenIdentity | undefined,
): Answer {
  const entry = hub.neuron(frame.neuronId);
  if (!entry?.channel.open) return noStream(frame.neuronId);
  const cap = entry.capabilities.get(frame.capabilityType);
  const forbidden = identity && namespaceRefusal(identity, frame.capabilityType, cap?.scope);
  if (forbidden) return errorAnswer(403, forbidden.code, forbidden.message!);
  if (!cap) {
    const why = entry.sessionId ? 'is not among its registered capabilities' : 'not registered';
    return errorAnswer(403, CAPABILITY_DENIED, `${frame.capabilityType} ${why}`);
  }
  cap.concurrency = frame.concurrency;
  hub.scheduleDispatch();
  return { status: 202 };
}

/** Renews the listed leases this neuron holds; the others are reported `lost`. */
function heartbeat(hub: GatewayHub, frame: HeartbeatFrame): Answer {
  const entry = hub.neuron(frame.neuronId);
  if (entry?.sessionId === undefined || entry.sessionId !== frame.sessionId) {
    const message = `session ${frame.sessionId} is not the current session of ${frame.neuronId}`;
    return errorAnswer(404, NO_SESSION, message);
  }
  const now = Date.now();
  const answer: Required<HeartbeatAnswer> = { leases: [], lost: [] };
  for (const { leaseId } of frame.inFlight) {
    const lease = hub.book.getLease(leaseId);
    if (lease && lease.neuronId === frame.neuronId && hub.book.isActive(leaseId)) {
      hub.book.renew(lease, now);
      answer.leases.push({ leaseId, expiresAt: iso(lease.expiresAt) });
    } else {
      answer.lost.push(leaseId);
    }
  }
  return { status: 200, body: answer };
}

function ack(hub: GatewayHub, frame: AckFrame): Answer {
  const lease = heldLease(hub, frame);
  if (!('leaseId' in lease)) return lease;
  const task = hub.book.ack(lease, frame, Date.now());
  return { status: 200, body: { taskId: task.taskId, state: task.state } };
}

/**
 * Settles or requeues the task. Two codes also change dispatch: a neuron nacking `SHUTDOWN`
 * gets no more leases until it registers again, and one that does not (or no longer) serve a
 * type gets no more of that type, so a retry does not bounce back to it.
 */
function nack(hub: GatewayHub, frame: NackFrame): Answer {
  const lease = heldLease(hub, frame);
  if (!('leaseId' in lease)) return lease;
  const entry = hub.neuron(frame.neuronId)!;
  if (frame.code === NackCode.SHUTDOWN) entry.dispatchable = false;
  if (frame.code === NackCode.UNKNOWN_CAPABILITY || frame.code === NackCode.CAPABILITY_REVOKED) {
    const cap = entry.capabilities.get(lease.capabilityType);
    if (cap) cap.revoked = true;
  }
  const task = hub.book.nack(lease, frame, Date.now());
  return { status: 200, body: { taskId: task.taskId, state: task.state } };
}

function progress(hub: GatewayHub, frame: ProgressFrame): Answer {
  const lease = heldLease(hub, frame);
  if (!('leaseId' in lease)) return lease;
  const update = hub.book.progress(lease, frame, Date.now());
  const { neuronId, leaseId, taskId } = frame;
  hub.events.emit('progress', { neuronId, leaseId, taskId, update });
  return { status: 202 };
}

/**
 * The lease the frame names, if this neuron holds it. Else 410 when the lease is gone (never
 * issued, or ended and its task not leased again), 409 when its task now has another lease
 * or another neuron holds it.
 */
function heldLease(
  hub: GatewayHub,
  frame: AckFrame | NackFrame | ProgressFrame,
): LeaseRecord | Answer {
  const { leaseId, taskId, neuronId } = frame;
  const lease = hub.book.getLease(leaseId);
  if (!lease) return notHeld(410, `lease ${leaseId} was never issued`);
  if (lease.taskId !== taskId) {
    return errorAnswer(400, INVALID_FRAME, `lease ${leaseId} is for task ${lease.taskId}`);
  }
  if (lease.neuronId !== neuronId)
    return notHeld(409, `lease ${leaseId} is held by another neuron`);
  if (hub.book.isActive(leaseId)) return lease;
  const task = hub.book.get(taskId)!;
  if (task.state === 'leased') {
    return notHeld(409, `lease ${leaseId} ${lease.end}; task ${taskId} is now ${task.leaseId}'s`);
  }
  return notHeld(410, `lease ${leaseId} ${lease.end}; task ${taskId} is ${task.state}`);
}

function notHeld(status: 409 | 410, message: string): Answer {
  return errorAnswer(status, LEASE_NOT_HELD, message);
}

function noStream(neuronId: string): Answer {
  return errorAnswer(409, NO_STREAM, `no open stream for ${neuronId}: GET /neuron/events first`);
}
