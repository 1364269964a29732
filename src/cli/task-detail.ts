/**
 * `neuron tasks <taskId>`: one task's whole history as text — what was asked, every delivery
 * (lease, neuron, times, progress updates, how it ended) and the waits between them.
 */
import type { LeaseRecord, TaskRecord } from '../dev-gateway/types.js';
import { outcomeText, type Paint, STATE_STYLE, short } from './format.js';

/** `12:00:01.123`, local time: what a developer compares with their own logs. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const ms3 = String(d.getMilliseconds()).padStart(3, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ms3}`;
}

/** `70 ms`, `3.3 s`, `2 min 5 s`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

const END_TEXT: Record<NonNullable<LeaseRecord['end']>, string> = {
  acked: 'acked',
  nacked: 'nacked',
  expired: 'expired (no heartbeat renewed it)',
  'session-dropped': "lost (its neuron's session was dropped)",
};

function attemptLines(lease: LeaseRecord, now: number): string[] {
  const ended = lease.endedAt === undefined ? undefined : lease.endedAt - lease.leasedAt;
  const span =
    ended === undefined
      ? `${clock(lease.leasedAt)}, running for ${duration(now - lease.leasedAt)}, expires ${clock(lease.expiresAt)}`
      : `${clock(lease.leasedAt)} → ${clock(lease.endedAt!)} (${duration(ended)})`;
  const lines = [
    `attempt ${lease.attempt}  lease ${lease.leaseId}  neuron ${lease.neuronId}  ${span}${lease.end ? `  ${END_TEXT[lease.end]}` : ''}`,
  ];
  if (lease.progressDropped)
    lines.push(`  (${lease.progressDropped} earlier progress updates not kept)`);
  for (const update of lease.progress) {
    const percent = update.percent === undefined ? '' : `${Math.round(update.percent)}% `;
    const data = update.data === undefined ? '' : ` ${short(update.data, 60)}`;
    lines.push(
      `  progress ${clock(update.at)}  ${percent}${update.message ?? ''}${data}`.trimEnd(),
    );
  }
  const outcome = lease.outcome;
  if (outcome) {
    lines.push(`  outcome  ${outcomeText(outcome)}`);
    if (outcome.type === 'nack') {
      for (const error of outcome.details?.errors ?? []) {
        lines.push(`    ${error.path || '/'}  ${error.message}`);
      }
    }
  }
  return lines;
}

/** The lines `neuron tasks <taskId>` prints. */
export function taskDetail(task: TaskRecord, paint: Paint, now = Date.now()): string[] {
  const state = paint(STATE_STYLE[task.state], task.state);
  const lines = [
    `${task.taskId}  ${task.capabilityType}  ${state}  (attempt ${task.attempts} of ${task.maxAttempts})`,
  ];
  const facts = [
    `submitted ${clock(task.submittedAt)}`,
    task.settledAt !== undefined &&
      `settled ${clock(task.settledAt)} (${duration(task.settledAt - task.submittedAt)})`,
    task.onBehalfOf && `on behalf of ${task.onBehalfOf}`,
    task.workflowId && `workflow ${task.workflowId}`,
    task.retryOf && `retry of ${task.retryOf}`,
  ].filter(Boolean);
  lines.push(`  ${facts.join(' · ')}`, `  input  ${short(task.input, 200)}`);
  for (const lease of task.history) {
    lines.push(...attemptLines(lease, now).map((line) => `  ${line}`));
  }
  if (task.state === 'pending') {
    lines.push(
      task.retryAt === undefined
        ? `  waiting for a neuron that serves ${task.capabilityType}`
        : `  next attempt in ${duration(Math.max(0, task.retryAt - now))} (retry backoff, at ${clock(task.retryAt)})`,
    );
  }
  if (task.cancelRequested && task.state === 'leased') {
    const why = task.cancelRequested.reason ? `: ${task.cancelRequested.reason}` : '';
    lines.push(
      `  cancel requested ${clock(task.cancelRequested.at)}${why}; waiting for the neuron`,
    );
  }
  if (task.outcome && task.state !== 'pending')
    lines.push(`  ${state}: ${outcomeText(task.outcome)}`);
  return lines;
}
