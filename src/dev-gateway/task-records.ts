/** Task records as callers see them: which states are final, and copies safe to keep. */
import type { TaskRecord, TaskSpec, TaskState } from './types.js';

/** The states a task ends in. */
export const SETTLED_STATES: readonly TaskState[] = ['acked', 'failed', 'cancelled'];

export function isSettled(task: TaskRecord): boolean {
  return SETTLED_STATES.includes(task.state);
}

/** A deep-enough copy for callers: they may keep it while the task moves on. */
export function snapshotTask(task: TaskRecord): TaskRecord {
  return {
    ...task,
    progress: { ...task.progress },
    history: task.history.map((lease) => ({ ...lease, progress: [...lease.progress] })),
    ...(task.cancelRequested && { cancelRequested: { ...task.cancelRequested } }),
  };
}

/** What was asked of a task: the spec that submits it again (its id aside). */
export function specOf(task: TaskRecord): TaskSpec {
  const { capabilityType, input, workflowId, onBehalfOf, leaseTtlMs, maxAttempts } = task;
  return {
    capabilityType,
    input,
    maxAttempts,
    ...(workflowId !== undefined && { workflowId }),
    ...(onBehalfOf !== undefined && { onBehalfOf }),
    ...(leaseTtlMs !== undefined && { leaseTtlMs }),
  };
}
