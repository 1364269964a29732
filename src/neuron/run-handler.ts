/**
 * The handler of a lease: builds the handler's context, runs it, and classifies how it ended
 * into an outcome (PROTOCOL.md's outcome table). Cancellation is not decided here: the lease
 * machine already knows a cancel happened and ignores what this reports then.
 */
import type { AnyActorRef } from 'xstate';
import type { LeaseContext, LeaseEvent, Outcome, RunHandlerInput } from '../../machines/lease.js';
import type { ResolvedCapability } from '../capability/registration.js';
import { checkJsonSerializable } from '../capability/validator.js';
import { LeaseAbortedError, type LeaseAbortReason, type TaskFailedError } from '../errors.js';
import { childLogger, type NeuronLogger } from '../logger.js';
import type { ProgressUpdate } from '../protocol/frames.js';
import type { NeuronTelemetry } from '../telemetry/telemetry.js';
import { type ContextParts, createHandlerContext, type Handler } from './context.js';
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

/**
 * One lease's handler, from its start to its outcome: the handler's context parts (its signal,
 * logger and progress reporter are made when first used: most handlers never use them, and an
 * AbortController — an EventTarget and two Maps — is the largest thing a lease would otherwise
 * hold). A class, not closures: a lease in flight holds one object, not a dozen functions.
 */
class HandlerRun implements ContextParts {
  failure: TaskFailedError | undefined;
  #controller: AbortController | undefined;
  #abortedWith: LeaseAbortedError | undefined;
  #reporter: ReturnType<typeof createProgressReporter> | undefined;
  #log: NeuronLogger | undefined;
  #done = false;
  #stopped = false;

  constructor(
    readonly deps: RunHandlerDeps,
    readonly input: RunHandlerInput,
    /** The lease: it hears `handler.settled`. */
    readonly lease: AnyActorRef,
  ) {}

  get task(): RunHandlerInput['task'] {
    return this.input.task;
  }

  get leaseId(): string {
    return this.input.leaseId;
  }

  deadline(): number {
    return this.deps.deadlineOf(this.input.leaseId);
  }

  signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortedWith) this.#controller.abort(this.#abortedWith);
    }
    return this.#controller.signal;
  }

  /** A child logger (pino's is a new object with its own bindings) only for a handler that logs. */
  log(): NeuronLogger {
    this.#log ??= childLogger(this.deps.logger, {
      leaseId: this.input.leaseId,
      taskId: this.input.task.taskId,
      capabilityType: this.input.capabilityType,
    });
    return this.#log;
  }

  progress(update: ProgressUpdate): void {
    const { leaseId, task } = this.input;
    this.#reporter ??= createProgressReporter((u) =>
      this.deps.postProgress(leaseId, task.taskId, u),
    );
    this.#reporter.report(update);
  }

  abort(reason: LeaseAbortReason): void {
    if (this.#abortedWith) return;
    this.#abortedWith = new LeaseAbortedError(reason);
    this.#controller?.abort(this.#abortedWith);
  }

  start(): void {
    const { input, deps } = this;
    const entry = deps.handlers.get(input.capabilityType);
    if (!entry) {
      this.#settle({
        kind: 'nack',
        nack: 'retryable',
        reason: `no handler for ${input.capabilityType}`,
        code: 'UNKNOWN_CAPABILITY',
      });
      return;
    }
    const ctx = createHandlerContext(this);
    const { telemetry } = deps;
    const handle = telemetry.handleStarted(input.leaseId);
    const started = performance.now();
    // Runs the handler on a microtask, so a sync throw is classified like a rejection.
    Promise.resolve()
      .then(() =>
        telemetry.inHandle(handle, () => {
          // Cancelled or aborted before this microtask came: the handler never starts (its
          // signal would already be aborted, and an `abort` listener would never fire).
          if (this.#abortedWith) throw this.#abortedWith;
          return entry.handler(input.input as never, ctx);
        }),
      )
      .then(
        (returned) => {
          telemetry.handleEnded(handle, input.capabilityType, performance.now() - started);
          this.#settleWith(() =>
            this.failure ? terminal(this.failure) : classifyReturned(entry.capability, returned),
          );
        },
        (thrown: unknown) => {
          telemetry.handleEnded(handle, input.capabilityType, performance.now() - started, thrown);
          this.#settleWith(() =>
            this.failure
              ? terminal(this.failure)
              : { kind: 'nack', nack: 'retryable', reason: describeThrown(thrown) },
          );
        },
      );
  }

  /**
   * Leaving `executing` stops the actor; a handler still running then is being abandoned (the
   * lease machine has already fired the signal with the precise reason when it had one).
   */
  stop(): void {
    if (!this.#done) this.abort('shutdown');
    this.#done = true;
    this.#stopped = true;
    void this.#reporter?.close();
  }

  /** Last resort, never expected: a lease must not hang on a classification bug. */
  #settleWith(classify: () => Outcome): void {
    let outcome: Outcome;
    try {
      outcome = classify();
    } catch (error) {
      outcome = {
        kind: 'nack',
        nack: 'retryable',
        reason: `the handler's result could not be classified: ${describeThrown(error)}`,
      };
    }
    this.#settle(outcome);
  }

  #settle(outcome: Outcome): void {
    if (this.#done) return;
    this.#done = true;
    const report = (): void => {
      if (!this.#stopped)
        this.lease.send({ type: 'handler.settled', outcome } satisfies LeaseEvent);
    };
    // A progress POST still in flight goes first: no progress may follow the outcome.
    if (this.#reporter) void this.#reporter.close().then(report);
    else report();
  }
}

type LeaseActionArgs = { context: LeaseContext; self: AnyActorRef };

/**
 * The lease machine's handler actions (and the pool's `abandon`): one `HandlerRun` per lease in
 * `executing`, kept by lease actor (a lease that ends takes its entry with it).
 */
export function createHandlerActions(deps: RunHandlerDeps) {
  const runs = new WeakMap<AnyActorRef, HandlerRun>();
  const abandon = (lease: AnyActorRef): void => {
    runs.get(lease)?.stop();
    runs.delete(lease);
  };
  return {
    startHandler: ({ context, self }: LeaseActionArgs): void => {
      const { leaseId, capabilityType, task, input } = context;
      const run = new HandlerRun(deps, { leaseId, capabilityType, task, input }, self);
      runs.set(self, run);
      run.start();
    },
    /** Fires the handler's signal with the reason the lease recorded. */
    abortHandler: ({ context, self }: LeaseActionArgs): void => {
      runs.get(self)?.abort(context.abortReason ?? 'cancelled');
    },
    stopHandler: ({ self }: LeaseActionArgs): void => abandon(self),
    abandon,
  };
}
