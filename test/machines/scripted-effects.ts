import type { AnyActorRef } from 'xstate';
import {
  type LeaseContext,
  type LeaseEvent,
  type Outcome,
  type PostOutcomeInput,
  postOutcomeInput,
} from '../../machines/lease.js';

/**
 * A lease's `postOutcome` action for the machine tests: records each POST in `posted` and answers
 * it as `answer()` settles, as the neuron's action does (nothing to tell a lease that has ended).
 */
export function scriptedPost(
  posted: PostOutcomeInput[],
  answer: () => Promise<void> = () => Promise.resolve(),
) {
  return ({ context, self }: { context: LeaseContext; self: AnyActorRef }): void => {
    posted.push(postOutcomeInput(context));
    const tell = (event: LeaseEvent): void => {
      if (self.getSnapshot().status === 'active') self.send(event);
    };
    answer().then(
      () => tell({ type: 'outcome.delivered' }),
      (error: unknown) => tell({ type: 'outcome.failed', error }),
    );
  };
}

/**
 * A lease's handler actions and the pool's `abandon` for the machine tests, keeping running
 * handlers as the neuron's actions do: `start:`, `signal:` and `cleanup:` lines go to `log`, and
 * `settle(leaseId, outcome)` settles a running one. A lease in `throwing` fails to start.
 */
export function scriptedHandlers(log: string[], throwing: readonly string[] = []) {
  const settlers = new Map<string, (outcome: Outcome) => void>();
  const running = new Set<string>();
  const letGo = (leaseId: string): void => {
    if (running.delete(leaseId)) log.push(`cleanup:${leaseId}`);
  };
  type Args = { context: LeaseContext; self: AnyActorRef };
  return {
    actions: {
      startHandler: ({ context, self }: Args): void => {
        if (throwing.includes(context.leaseId)) {
          throw new Error(`handler ${context.leaseId} blew up`);
        }
        log.push(`start:${context.leaseId}`);
        running.add(context.leaseId);
        settlers.set(context.leaseId, (outcome) => self.send({ type: 'handler.settled', outcome }));
      },
      abortHandler: ({ context }: Args): void => {
        log.push(`signal:${context.leaseId}:${context.abortReason ?? 'cancelled'}`);
      },
      stopHandler: ({ context }: Args): void => letGo(context.leaseId),
    },
    abandon: (lease: AnyActorRef): void => letGo(lease.id),
    settlers,
  };
}
