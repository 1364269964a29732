/**
 * The `runHandler` actor: builds the handler's context, runs it, and classifies how it ended
 * into an outcome (PROTOCOL.md's outcome table). Cancellation is not decided here: the lease
 * machine already knows a cancel happened and ignores what this reports then.
 */
import { fromCallback } from 'xstate';
import type { Outcome, RunHandlerInput } from '../../machines/lease.js';
import type { ResolvedCapability } from '../capability/registration.js';
import { checkJsonSerializable } from '../capability/validator.js';
import { LeaseAbortedError, type LeaseAbortReason, type TaskFailedError } from '../errors.js';
import { childLogger, type NeuronLogger } from '../logger.js';
import type { ProgressUpdate } from '../protocol/frames.js';
import type { NeuronTelemetry } from '../telemetry/telemetry.js';
import { createHandlerContext, type Handler } from './context.js';
import { createProgressReporter } from './progress.js';

export interface HandlerEntry {
  capability: ResolvedCapability;
  handler: Handler<never, unknown>;
}

export interface RunHandlerDeps {
  logger: NeuronLogger;
  /** Runs the handler inside the lease's span. */
  telemetry: NeuronTelemetry;
  handlers: ReadonlyMap<string, HandlerEntry>;
  /** The lease's current deadline (ms since the epoch). */
  deadlineOf: (leaseId: string) => number;
  postProgress: (leaseId: string, taskId: string, update: ProgressUpdate) => Promise<void>;
}

/**
 * The nack reason for what a handler threw. Total: whatever was thrown (a revoked Proxy, an
 * object whose `toString` throws, an Error whose `message` getter throws) gives a string.
 */
function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return String(thrown.message || thrown.name);
    if (typeof thrown === 'string') return thrown;
    try {
      return `non-Error thrown: ${JSON.stringify(thrown)}`.slice(0, 500);
    } catch {
      return `non-Error thrown: ${String(thrown)}`.slice(0, 500);
    }
  } catch {
    return 'the handler threw a value that cannot be described';
  }
}

/**
 * `classifyOutput`, total: an output whose validation or serialization throws (a getter or a
 * `toJSON` that throws, a revoked Proxy, a zod transform that throws) cannot be acked.
 */
function classifyReturned(capability: ResolvedCapability, returned: unknown): Outcome {
  try {
    return classifyOutput(capability, returned);
  } catch (error) {
    return {
      kind: 'nack',
      nack: 'terminal',
      reason: `checking the handler's output threw: ${describeThrown(error)}`,
      code: 'OUTPUT_NOT_SERIALIZABLE',
    };
  }
}

function terminal(failure: TaskFailedError): Outcome {
  return failure.failCode === undefined
    ? { kind: 'nack', nack: 'terminal', reason: failure.message }
    : { kind: 'nack', nack: 'terminal', reason: failure.message, code: failure.failCode };
}

/** Output validation (and transforms), then the JSON check; `undefined` is acked as `null`. */
function classifyOutput(capability: ResolvedCapability, returned: unknown): Outcome {
  let output = returned;
  if (capability.output) {
    const result = capability.output.validate(returned);
    if (!result.ok) {
      return {
        kind: 'nack',
        nack: 'schema-mismatch',
        reason: 'output does not match the capability schema',
        details: { phase: 'output', errors: result.errors },
      };
    }
    output = result.value;
  }
  const serializable = checkJsonSerializable(output);
  if (!serializable.ok) {
    return {
      kind: 'nack',
      nack: 'terminal',
      reason: `the handler's output is not JSON-serializable: ${serializable.reason}`,
      code: 'OUTPUT_NOT_SERIALIZABLE',
    };
  }
  return { kind: 'ack', output: output === undefined ? null : output };
}

export function createRunHandler(deps: RunHandlerDeps) {
  return fromCallback<{ type: 'abort'; reason: LeaseAbortReason }, RunHandlerInput>(
    ({ input, sendBack, receive }) => {
      // The signal and the progress reporter are made when the handler first uses them: most
      // handlers never do, and an AbortController (an EventTarget and two Maps) is the largest
      // thing a lease would otherwise hold.
      let controller: AbortController | undefined;
      let abortedWith: LeaseAbortedError | undefined;
      const signal = (): AbortSignal => {
        if (!controller) {
          controller = new AbortController();
          if (abortedWith) controller.abort(abortedWith);
        }
        return controller.signal;
      };
      const abort = (reason: LeaseAbortReason): void => {
        if (abortedWith) return;
        abortedWith = new LeaseAbortedError(reason);
        controller?.abort(abortedWith);
      };
      receive((event) => abort(event.reason));

      let reporter: ReturnType<typeof createProgressReporter> | undefined;
      let log: NeuronLogger | undefined;
      const entry = deps.handlers.get(input.capabilityType);
      const { ctx, failure } = createHandlerContext({
        task: input.task,
        leaseId: input.leaseId,
        deadline: () => deps.deadlineOf(input.leaseId),
        signal,
        // A child logger (pino's is a new object with its own bindings) only for a handler that logs.
        log: () =>
          (log ??= childLogger(deps.logger, {
            leaseId: input.leaseId,
            taskId: input.task.taskId,
            capabilityType: input.capabilityType,
          })),
        progress: (update) => {
          reporter ??= createProgressReporter((u) =>
            deps.postProgress(input.leaseId, input.task.taskId, u),
          );
          reporter.report(update);
        },
      });

      let done = false;
      let stopped = false;
      const settle = (outcome: Outcome): void => {
        if (done) return;
        done = true;
        const report = (): void => {
          if (!stopped) sendBack({ type: 'handler.settled', outcome });
        };
        // A progress POST still in flight goes first: no progress may follow the outcome.
        if (reporter) void reporter.close().then(report);
        else report();
      };

      if (!entry) {
        settle({
          kind: 'nack',
          nack: 'retryable',
          reason: `no handler for ${input.capabilityType}`,
          code: 'UNKNOWN_CAPABILITY',
        });
      } else {
        // Runs the handler on a microtask, so a sync throw is classified like a rejection.
        deps.telemetry
          .handle(input.leaseId, input.capabilityType, () => {
            // Cancelled or aborted before this microtask came: the handler never starts (its
            // signal would already be aborted, and an `abort` listener would never fire).
            if (abortedWith) throw abortedWith;
            return entry.handler(input.input as never, ctx);
          })
          .then(
            (returned) => {
              const failed = failure();
              settle(failed ? terminal(failed) : classifyReturned(entry.capability, returned));
            },
            (thrown: unknown) => {
              const failed = failure();
              settle(
                failed
                  ? terminal(failed)
                  : { kind: 'nack', nack: 'retryable', reason: describeThrown(thrown) },
              );
            },
          )
          // Last resort, never expected: a lease must not hang on a classification bug.
          .catch((error: unknown) =>
            settle({
              kind: 'nack',
              nack: 'retryable',
              reason: `the handler's result could not be classified: ${describeThrown(error)}`,
            }),
          );
      }

      // Leaving `executing` stops this actor; a handler still running then is being abandoned
      // (the lease machine has already fired the signal with the precise reason when it had one).
      return () => {
        if (!done) abort('shutdown');
        done = true;
        stopped = true;
        void reporter?.close();
      };
    },
  );
}
