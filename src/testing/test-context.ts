/**
 * A handler context with no gateway behind it, for unit-testing handlers: every `progress`,
 * `log` and `fail` call is recorded, and `abort()` fires the signal as the SDK would.
 */
import { LeaseAbortedError, type LeaseAbortReason, TaskFailedError } from '../errors.js';
import type { HandlerContext } from '../neuron/context.js';
import type { ProgressUpdate, TaskPayload } from '../protocol/frames.js';
import { createRecordingLogger, type LogRecord } from './recording-logger.js';

export interface TestContextOptions {
  /** The task's input (also `task.input`). @default null */
  input?: unknown;
  /** More task fields; `taskId` defaults to `'t-test'`. */
  task?: Partial<TaskPayload>;
  /** @default 'l-test' */
  leaseId?: string;
  /** @default 30 s from now */
  deadline?: Date;
  /** Your own signal, instead of the one `abort()` fires. */
  signal?: AbortSignal;
}

export interface TestContext {
  /** Pass this to the handler. */
  ctx: HandlerContext;
  /** Every `ctx.progress()` update, in order. */
  progress: ProgressUpdate[];
  /** Every `ctx.log` line, child loggers included. */
  logs: LogRecord[];
  /** Set once `ctx.fail()` was called. */
  failure: { reason: string; code: string | undefined } | undefined;
  /** Fire `ctx.signal` as a cancel, revoke, shutdown or lost lease would. */
  abort(reason?: LeaseAbortReason): void;
}

export function createTestContext(options: TestContextOptions = {}): TestContext {
  const controller = new AbortController();
  const task: TaskPayload = {
    taskId: 't-test',
    ...options.task,
    input: options.input ?? options.task?.input ?? null,
  };
  const leaseId = options.leaseId ?? 'l-test';
  const deadline = options.deadline ?? new Date(Date.now() + 30_000);
  const progress: ProgressUpdate[] = [];
  const logs: LogRecord[] = [];
  const ctx: HandlerContext = {
    task,
    leaseId,
    deadline,
    signal: options.signal ?? controller.signal,
    log: createRecordingLogger(logs, { leaseId, taskId: task.taskId }),
    progress: (update) => {
      progress.push(update);
    },
    fail: (reason, failOptions) => {
      record.failure ??= { reason, code: failOptions?.code };
      throw new TaskFailedError(reason, failOptions?.code);
    },
  };
  const record: TestContext = {
    ctx,
    progress,
    logs,
    failure: undefined,
    abort: (reason = 'cancelled') => controller.abort(new LeaseAbortedError(reason)),
  };
  return record;
}
