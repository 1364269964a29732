import type { AnyActorRef } from 'xstate';
import {
  type LeaseContext,
  type LeaseEvent,
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
