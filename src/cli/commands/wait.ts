/** `inject --wait`: follows one task on `/__dev__/events` until it settles. */
import type { ProgressRecord, TaskRecord } from '../../dev-gateway/types.js';
import type { DevClient } from '../dev-client.js';
import { CliError, ExitCode } from '../errors.js';
import { label, outcomeText, type Paint, painter, STATE_STYLE } from '../format.js';
import { type CliIo, out, useColour } from '../io.js';
import { duration } from '../task-detail.js';

export interface WaitOptions {
  /** Give up after this long (exit 8); the task keeps running. */
  timeoutMs?: number;
  /** Print nothing: the caller prints the settled record as JSON. */
  json: boolean;
}

const EXIT_BY_STATE = {
  acked: ExitCode.OK,
  failed: ExitCode.FAILED,
  cancelled: ExitCode.CANCELLED,
} as const;

/**
 * Prints the task's leases, progress and outcome as they happen and resolves with the exit code
 * of its outcome. The stream sends the task's current record first, so nothing is missed
 * between the submit and the subscription.
 */
export async function waitForTask(
  client: DevClient,
  submitted: TaskRecord,
  options: WaitOptions,
  io: CliIo,
): Promise<{ code: number; settled: TaskRecord }> {
  const { taskId } = submitted;
  const paint = painter(useColour(io));
  const say = (line: string) => options.json || out(io, line);
  const stop = new AbortController();
  let why: 'timeout' | 'interrupted' | undefined;
  const giveUp = (reason: 'timeout' | 'interrupted'): void => {
    why ??= reason;
    stop.abort();
  };
  const interrupted = io.watchSignals?.();
  const onInterrupt = (): void => giveUp('interrupted');
  if (interrupted?.aborted) onInterrupt();
  interrupted?.addEventListener('abort', onInterrupt, { once: true });
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(giveUp, options.timeoutMs, 'timeout');

  let last = submitted;
  let settled: TaskRecord | undefined;
  let leaseId: string | undefined;
  let progressShown = 0;
  /** The attempt after which a retry was last reported. */
  let retriedAfter = 0;
  // Progress is read off the task records (not the `progress` events): the first record may
  // already carry updates sent before the subscription.
  const onTask = (task: TaskRecord): void => {
    last = task;
    if (task.state === 'leased' && task.leaseId !== leaseId) {
      leaseId = task.leaseId;
      say(
        `${label(paint, 'cyan', 'leased')}${taskId} to ${task.neuronId} (attempt ${task.attempts}/${task.maxAttempts})`,
      );
    }
    if (task.progress.count > progressShown && task.progress.last) {
      progressShown = task.progress.count;
      onProgress(task.progress.last);
    }
    if (task.state === 'pending' && task.attempts > retriedAfter) {
      retriedAfter = task.attempts;
      const outcome = task.history.at(-1)?.outcome;
      const reason = outcome ? outcomeText(outcome) : task.history.at(-1)?.end;
      const wait =
        task.retryAt === undefined
          ? ''
          : `; next attempt in ${duration(Math.max(0, task.retryAt - Date.now()))}`;
      say(
        `${label(paint, 'yellow', 'retrying')}${taskId} after attempt ${task.attempts}: ${reason}${wait}`,
      );
      leaseId = undefined;
    }
    if (task.state === 'acked' || task.state === 'failed' || task.state === 'cancelled') {
      settled = task;
      stop.abort();
    }
  };
  function onProgress(update: ProgressRecord): void {
    const percent =
      update.percent === undefined ? '' : `${String(Math.round(update.percent)).padStart(3)}% `;
    say(`${label(paint, 'blue', 'progress')}${taskId} ${percent}${update.message ?? ''}`.trimEnd());
  }

  try {
    await client.follow(
      `?taskId=${encodeURIComponent(taskId)}`,
      (name, data) => {
        if (settled) return;
        if (name === 'task') onTask(data as TaskRecord);
      },
      stop.signal,
    );
  } finally {
    clearTimeout(timer);
    interrupted?.removeEventListener('abort', onInterrupt);
  }

  if (settled) {
    say(settledLine(settled, paint));
    return { code: EXIT_BY_STATE[settled.state as keyof typeof EXIT_BY_STATE], settled };
  }
  const state = `state: ${last.state}, attempts: ${last.attempts}`;
  if (why === 'timeout') {
    throw new CliError(
      ExitCode.TIMEOUT,
      `task ${taskId} did not settle within ${options.timeoutMs} ms (${state}); it keeps going: \`neuron cancel ${taskId}\` to cancel it`,
    );
  }
  if (why === 'interrupted') {
    throw new CliError(
      ExitCode.INTERRUPTED,
      `stopped waiting for task ${taskId} (${state}); it keeps going: \`neuron cancel ${taskId}\` to cancel it`,
    );
  }
  throw new CliError(
    ExitCode.UNREACHABLE,
    `the gateway closed before task ${taskId} settled (${state})`,
  );
}

function settledLine(task: TaskRecord, paint: Paint): string {
  const head = `${label(paint, STATE_STYLE[task.state], task.state)}${task.taskId}`;
  const outcome = task.outcome;
  if (outcome?.type === 'ack') {
    const took = outcome.durationMs === undefined ? '' : ` in ${outcome.durationMs} ms`;
    return `${head}${took}: ${JSON.stringify(outcome.output ?? null)}`;
  }
  return `${head}: ${outcomeText(outcome)}`;
}
