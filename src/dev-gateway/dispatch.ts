/**
 * Dispatch: which pending task goes to which neuron. FIFO per capability type; among the neurons
 * that may take a task now (registered, serving its type unrevoked, its scope, a free slot), the
 * one holding the fewest leases of the type wins.
 */
import type { LeaseFrame, Scope } from '../protocol/frames.js';
import type { GatewayHub, NeuronEntry } from './hub.js';
import type { TaskRecord } from './types.js';

/** Leases every pending task a neuron can take now. */
export function dispatch(hub: GatewayHub, now: number): void {
  for (const [type, queue] of hub.book.queues()) {
    // Leasing removes the task from the queue, so the index moves only past a task no
    // neuron can take now (another scope), which must not hold up the ones behind it.
    // Once a task finds no neuron, none will take a later one of the same `onBehalfOf` in
    // this pass (leasing only fills slots): skipping them keeps a long queue linear.
    const full = new Set<string | undefined>();
    // And once no neuron has a free slot of the type at all, nothing more of it can go.
    for (let i = 0; i < queue.length && hasFreeSlot(hub, type); ) {
      const task = queue[i]!;
      const entry = full.has(task.onBehalfOf) ? undefined : pick(hub, task);
      if (entry) {
        lease(hub, task, entry, now);
      } else {
        full.add(task.onBehalfOf);
        i += 1;
      }
    }
  }
}

/** Whether any dispatchable neuron serving `type` has a slot free, whatever its scope. */
function hasFreeSlot(hub: GatewayHub, type: string): boolean {
  for (const entry of hub.entries()) {
    const cap = entry.capabilities.get(type);
    if (
      entry.dispatchable &&
      cap &&
      !cap.revoked &&
      hub.book.held(entry.neuronId, type) < cap.concurrency
    ) {
      return true;
    }
  }
  return false;
}

/** The least loaded dispatchable neuron serving the task's type and scope with a free slot. */
function pick(hub: GatewayHub, task: TaskRecord): NeuronEntry | undefined {
  let best: NeuronEntry | undefined;
  let bestHeld = Number.POSITIVE_INFINITY;
  for (const entry of hub.entries()) {
    const cap = entry.capabilities.get(task.capabilityType);
    if (!entry.dispatchable || !cap || cap.revoked || !serves(cap.scope, task)) continue;
    const held = hub.book.held(entry.neuronId, cap.type);
    if (held < cap.concurrency && held < bestHeld) {
      best = entry;
      bestHeld = held;
    }
  }
  return best;
}

function lease(hub: GatewayHub, task: TaskRecord, entry: NeuronEntry, now: number): void {
  const cap = entry.capabilities.get(task.capabilityType)!;
  const ttlMs = task.leaseTtlMs ?? cap.leaseTtlMs ?? hub.options.leaseTtlMs;
  const lease = hub.book.lease(task, entry.neuronId, ttlMs, now);
  const frame: LeaseFrame = {
    type: 'lease',
    leaseId: lease.leaseId,
    capabilityType: task.capabilityType,
    task: {
      taskId: task.taskId,
      ...(task.workflowId !== undefined && { workflowId: task.workflowId }),
      input: task.input,
      ...(task.onBehalfOf !== undefined && { onBehalfOf: task.onBehalfOf }),
      attempt: lease.attempt,
    },
    ...(cap.inputSchema !== undefined && { inputSchema: cap.inputSchema }),
    ...(cap.outputSchema !== undefined && { outputSchema: cap.outputSchema }),
    expiresAt: iso(lease.expiresAt),
  };
  hub.send(entry, frame);
  const { neuronId, leaseId, taskId, attempt } = lease;
  hub.events.emit('lease', { neuronId, leaseId, taskId, attempt });
}

/** A task bound to a user goes to that user's neurons or to `'any'`; an unbound one to `'any'`. */
export function serves(scope: Scope, task: Pick<TaskRecord, 'onBehalfOf'>): boolean {
  return scope === 'any' || scope.onBehalfOf === task.onBehalfOf;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
