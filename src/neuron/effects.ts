/**
 * The production effects of the machines, over a `Transport`: everything the pure machines in
 * `machines/` name but do not do. `provideEffects` returns the neuron machine ready to run.
 */
import { assign, fromPromise } from 'xstate';
import { connectionMachine } from '../../machines/connection.js';
import { drainMachine } from '../../machines/drain.js';
import {
  inputCheckFailed,
  inputMismatch,
  type LeaseContext,
  type LeaseEvent,
  leaseMachine,
  type PostOutcomeInput,
  postOutcomeInput,
} from '../../machines/lease.js';
import { leasePool } from '../../machines/lease-pool.js';
import { type HeartbeatInput, type HeartbeatOutput, neuronMachine } from '../../machines/neuron.js';
import {
  describe,
  isNotHeld,
  isTransientPostFailure,
  statusOf,
  toError,
} from '../../machines/shared.js';
import { GatewayAnswerError, RegistrationRejectedError } from '../errors.js';
import type { NeuronLogger } from '../logger.js';
import {
  type AckFrame,
  type NackFrame,
  PROTOCOL_VERSION,
  type RegisterFrame,
} from '../protocol/frames.js';
import { readHeartbeatAnswer } from '../protocol/heartbeat-answer.js';
import type { NeuronTelemetry } from '../telemetry/telemetry.js';
import type { Transport } from '../transport/types.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import { capText } from './handler-input.js';
import { createHandlerActions, type HandlerEntry } from './run-handler.js';

export interface EffectDeps {
  neuronId: string;
  transport: Transport;
  logger: NeuronLogger;
  handlers: ReadonlyMap<string, HandlerEntry>;
  /** The current concurrency of each capability (changed by `updateCapability`). */
  concurrencyOf: (type: string) => number;
  deadlineOf: (leaseId: string) => number;
  /** Reports an `error` event (a progress frame the gateway refused for good). */
  emitError: (err: Error) => void;
  telemetry: NeuronTelemetry;
}

function registerFrame(deps: EffectDeps): RegisterFrame {
  return {
    type: 'register',
    neuronId: deps.neuronId,
    protocolVersion: PROTOCOL_VERSION,
    sdk: { name: SDK_NAME, version: SDK_VERSION, language: 'typescript' },
    capabilities: [...deps.handlers.values()].map(({ capability }) => ({
      ...capability.advertisement,
      concurrency: deps.concurrencyOf(capability.type),
    })),
  };
}

function outcomeFrame(neuronId: string, input: PostOutcomeInput): AckFrame | NackFrame {
  const { outcome } = input;
  if (outcome.kind === 'ack') {
    return {
      type: 'ack',
      neuronId,
      leaseId: input.leaseId,
      taskId: input.taskId,
      output: outcome.output,
      durationMs: input.durationMs,
    };
  }
  const frame: NackFrame = {
    type: 'nack',
    neuronId,
    leaseId: input.leaseId,
    taskId: input.taskId,
    kind: outcome.nack,
    // A thrown Error's message can be megabytes; the gateway wants a human-readable line.
    reason: capText(outcome.reason),
  };
  if (outcome.code !== undefined) frame.code = outcome.code;
  if (outcome.details !== undefined) frame.details = outcome.details;
  return frame;
}

export function provideEffects(deps: EffectDeps) {
  const { transport, logger, neuronId, telemetry } = deps;
  /** Malformed heartbeat answers in a row: reported on the first of each run, logged on each. */
  let malformedAnswers = 0;
  const readAnswer = (body: unknown): HeartbeatOutput['answer'] => {
    const { answer, problems } = readHeartbeatAnswer(body);
    if (problems.length === 0) {
      malformedAnswers = 0;
      return answer;
    }
    logger.warn({ problems }, 'heartbeat answer malformed; its well-formed rest was used');
    if (malformedAnswers++ === 0) {
      deps.emitError(
        new GatewayAnswerError(
          'heartbeat',
          `the gateway's heartbeat answer: ${problems.join('; ')}`,
        ),
      );
    }
    return answer;
  };

  const connection = connectionMachine.provide({
    actors: {
      openStream: fromPromise(() => transport.start()),
      register: fromPromise(async () => {
        try {
          await transport.post('register', registerFrame(deps));
        } catch (error) {
          const status = statusOf(error);
          if (status === 400 || status === 403) {
            const gateway = error as { gatewayCode?: string; gatewayMessage?: string };
            throw new RegistrationRejectedError(
              gateway.gatewayCode,
              gateway.gatewayMessage ?? '',
              [...deps.handlers.keys()],
              status,
            );
          }
          throw error;
        }
      }),
    },
    actions: {
      closeStream: () => {
        transport.stop().catch((error: unknown) => {
          logger.warn({ err: describe(error) }, 'closing the event stream failed');
        });
      },
    },
  });

  const { abandon, ...handlerActions } = createHandlerActions({
    logger,
    telemetry,
    handlers: deps.handlers,
    deadlineOf: deps.deadlineOf,
    postProgress: async (leaseId, taskId, update) => {
      try {
        await transport.post('progress', {
          type: 'progress',
          neuronId,
          leaseId,
          taskId,
          ...update,
          sentAt: new Date().toISOString(),
        });
      } catch (error) {
        // PROTOCOL.md's POST table, for progress: transient → drop; 409/410 → drop, warn;
        // 400 `INVALID_FRAME` (or another refusal) → error event. Never retried.
        if (isTransientPostFailure(error)) {
          logger.debug({ leaseId, err: describe(error) }, 'progress dropped');
        } else if (isNotHeld(error)) {
          logger.warn(
            { leaseId, taskId, err: describe(error) },
            'progress POST rejected by gateway; dropped',
          );
        } else {
          logger.warn(
            { leaseId, taskId, err: describe(error) },
            'progress POST refused by gateway; dropped',
          );
          deps.emitError(toError(error));
        }
      }
    },
  });

  const lease = leaseMachine.provide({
    actions: {
      ...handlerActions,
      validateInput: assign(({ context }: { context: LeaseContext }): Partial<LeaseContext> => {
        const validator = deps.handlers.get(context.capabilityType)?.capability.input;
        const input = context.task.input;
        if (!validator) return { input };
        try {
          const result = telemetry.validate(context.leaseId, () => validator.validate(input));
          return result.ok
            ? { input: result.value }
            : { outcome: inputMismatch({ phase: 'input', errors: result.errors }) };
        } catch (error) {
          return { outcome: inputCheckFailed(error) };
        }
      }),
      postOutcome: ({ context, self }) => {
        const input = postOutcomeInput(context);
        const frame = outcomeFrame(neuronId, input);
        const tried = telemetry.postTry(input.leaseId, frame.type, input.capabilityType);
        // A lease that has ended meanwhile (named lost) has nobody left to tell.
        const tell = (event: LeaseEvent): void => {
          if (self.getSnapshot().status === 'active') self.send(event);
        };
        transport.post(frame.type, frame).then(
          () => {
            tried();
            tell({ type: 'outcome.delivered' });
          },
          (error: unknown) => {
            tried(error);
            tell({ type: 'outcome.failed', error });
          },
        );
      },
      warnDropped: ({ context }) => {
        logger.warn(
          {
            leaseId: context.leaseId,
            taskId: context.taskId,
            settlement: context.settlement,
            err: describe(context.lastError),
          },
          `${context.outcome?.kind ?? 'outcome'} POST rejected by gateway; outcome dropped`,
        );
      },
    },
  });

  const drain = drainMachine.provide({
    actors: {
      closeTransport: fromPromise(async () => {
        await transport.stop();
        await transport.close?.();
      }),
    },
  });

  return neuronMachine.provide({
    actors: {
      connection,
      leases: leasePool(lease, { abandon }),
      drain,
      heartbeat: fromPromise<HeartbeatOutput, HeartbeatInput>(async ({ input }) => {
        const sentAt = Date.now();
        const started = performance.now();
        const body = await transport.post('heartbeat', {
          type: 'heartbeat',
          neuronId,
          sessionId: input.sessionId,
          inFlight: input.inFlight,
          sentAt: new Date(sentAt).toISOString(),
        });
        telemetry.heartbeat(performance.now() - started);
        return {
          sentAt,
          leaseIds: input.inFlight.map((l) => l.leaseId),
          answer: readAnswer(body),
        };
      }),
    },
  });
}
