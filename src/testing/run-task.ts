import type { DevGateway, TaskRecord, TaskSpec } from '../dev-gateway/index.js';

/**
 * Submit a task to the gateway and wait until it settles (acked, failed or cancelled): the
 * whole round trip of an integration test in one call.
 */
export function runTask(
  gateway: DevGateway,
  spec: TaskSpec,
  options: { timeoutMs?: number } = {},
): Promise<TaskRecord> {
  const task = gateway.submitTask(spec);
  return gateway.waitForTask(task.taskId, undefined, { timeoutMs: options.timeoutMs ?? 10_000 });
}
