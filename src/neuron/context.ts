import { TaskFailedError } from '../errors.js';
import type { NeuronLogger } from '../logger.js';
import type { ProgressUpdate, TaskPayload } from '../protocol/frames.js';
import { failCode, failReason, progressFields } from './handler-input.js';

/** The second argument of every handler. */
export interface HandlerContext {
  /** The task, as the lease carried it (`taskId` is a stable idempotency key). */
  readonly task: TaskPayload;
  readonly leaseId: string;
  /**
   * The lease's current deadline; moves forward as heartbeats renew the lease. The SDK always
   * sets it; it is optional only so that a context built by hand to the reference's interface
   * (which has no `deadline`), as in a handler's unit test, type-checks.
   */
  readonly deadline?: Date;
  /**
   * Fires on cancel, revoke, shutdown, and a lease the gateway reports lost. Its `reason` is a
   * `LeaseAbortedError` (name `AbortError`) whose `reason` says which.
   */
  readonly signal: AbortSignal;
  /** A logger whose lines carry leaseId, taskId and capabilityType. */
  readonly log: NeuronLogger;
  /**
   * Report progress. Non-blocking; updates are coalesced, so calling it often is cheap. A field
   * PROTOCOL.md would refuse (`percent` outside 0–100, a non-string `message`, `data` with no
   * JSON form) is left out with a warning.
   */
  progress(update: ProgressUpdate): void;
  /**
   * Fail for good (`nack` `terminal`): the task can never succeed. Throws; nothing after it runs.
   * A `code` that is not a non-empty string (≤ 128 characters) is left out with a warning.
   */
  fail(reason: string, options?: { code?: string }): never;
}

export type Handler<TInput = unknown, TOutput = unknown> = (
  input: TInput,
  ctx: HandlerContext,
) => Promise<TOutput> | TOutput;

/**
 * What a context is made of: the lease's run (`run-handler.ts`), whose methods the context calls
 * as methods, so that one object serves every lease's context without a closure per part.
 */
export interface ContextParts {
  readonly task: TaskPayload;
  readonly leaseId: string;
  deadline(): number;
  /** Called when the handler first reads `ctx.signal`. */
  signal(): AbortSignal;
  /** Called when the handler (or a warning about its input) first needs `ctx.log`. */
  log(): NeuronLogger;
  progress(update: ProgressUpdate): void;
  /** Set by `ctx.fail()`: it counts even if the handler catches the throw. */
  failure: TaskFailedError | undefined;
}

const PARTS = Symbol('parts');
type WithParts = { [PARTS]: ContextParts };

/**
 * `deadline`, `signal` and `log` are own enumerable getters (so `{ ...ctx }` and destructuring
 * read them), and the same functions for every context: a getter closure per context would give
 * each its own hidden class and put it in dictionary mode (~600 bytes more per lease).
 */
const DEADLINE: PropertyDescriptor = {
  get(this: WithParts) {
    return new Date(this[PARTS].deadline());
  },
  enumerable: true,
};
const SIGNAL: PropertyDescriptor = {
  get(this: WithParts) {
    return this[PARTS].signal();
  },
  enumerable: true,
};
const LOG: PropertyDescriptor = {
  get(this: WithParts) {
    return this[PARTS].log();
  },
  enumerable: true,
};

/** A context over `parts`; `fail()` records its error in `parts.failure`. */
export function createHandlerContext(parts: ContextParts): HandlerContext {
  const fields = {
    task: parts.task,
    leaseId: parts.leaseId,
    progress: (update: ProgressUpdate): void => {
      const fields = progressFields(update, parts.log());
      if (fields) parts.progress(fields);
    },
    fail: (reason: string, options?: { code?: string }): never => {
      const error = new TaskFailedError(failReason(reason), failCode(options, parts.log()));
      parts.failure ??= error;
      throw error;
    },
  };
  Object.defineProperty(fields, PARTS, { value: parts });
  Object.defineProperty(fields, 'deadline', DEADLINE);
  Object.defineProperty(fields, 'signal', SIGNAL);
  Object.defineProperty(fields, 'log', LOG);
  return fields as typeof fields & Pick<HandlerContext, 'deadline' | 'signal' | 'log'>;
}
