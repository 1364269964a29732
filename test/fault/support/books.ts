/**
 * "Every task the gateway issued must end acked or nacked (or be redelivered by the gateway and
 * then settled)": the check of the gateway's books every fault test ends with.
 */
import type { TaskRecord } from '@holokai/neuron-sdk/dev-gateway';
import { expect } from 'vitest';

export interface BookSummary {
  tasks: number;
  acked: number;
  nacked: number;
  /** Leases the gateway took back (expired, session dropped) and delivered again. */
  redelivered: number;
  /** Tasks never issued (still queued at the gateway): nothing to settle yet. */
  pending: number;
}

/**
 * Asserts that every task is settled by an outcome the neuron posted: `acked`, or a nack
 * (`failed` or `cancelled` with a `nack` outcome); that every lease of it ended; and that a lease
 * which ended without an outcome (expired, session dropped) was followed by another delivery.
 * A task lost for good (`lease-lost`) or still leased fails the check; one never issued is
 * counted as `pending`.
 */
export function expectBooksSettled(tasks: readonly TaskRecord[]): BookSummary {
  const summary: BookSummary = {
    tasks: tasks.length,
    acked: 0,
    nacked: 0,
    redelivered: 0,
    pending: 0,
  };
  const problems: string[] = [];
  for (const task of tasks) {
    if (task.history.length === 0 && task.state === 'pending') {
      summary.pending++;
      continue;
    }
    const outcome = task.outcome?.type;
    if (task.state === 'acked' && outcome === 'ack') summary.acked++;
    else if ((task.state === 'failed' || task.state === 'cancelled') && outcome === 'nack')
      summary.nacked++;
    else problems.push(`${task.taskId}: ${task.state} with outcome ${outcome ?? 'none'}`);
    task.history.forEach((lease, i) => {
      if (lease.end === undefined) problems.push(`${task.taskId}: ${lease.leaseId} never ended`);
      const last = i === task.history.length - 1;
      if (lease.end === 'expired' || lease.end === 'session-dropped') {
        if (last) problems.push(`${task.taskId}: ${lease.leaseId} ${lease.end}, not redelivered`);
        else summary.redelivered++;
      }
    });
  }
  expect(problems).toEqual([]);
  return summary;
}
