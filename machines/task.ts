/**
 * `fromTask`: a one-shot async effect as an actor, like xstate's `fromPromise` without what a
 * lease's outcome POST never uses: `fromPromise` makes an `AbortController` (an EventTarget and
 * two Maps) per actor and keeps it in a `WeakMap`, for a `signal` the transport does not take
 * (it aborts its own requests on close). Stopping the actor drops the result, as there.
 */
import type { ActorLogic, EventObject, Snapshot } from 'xstate';

export type TaskSnapshot<TOutput, TInput> = Snapshot<TOutput> & { input: TInput | undefined };

const RESOLVED = 'neuron.task.resolved';
const REJECTED = 'neuron.task.rejected';

type TaskEvent =
  | { type: typeof RESOLVED; output: unknown }
  | { type: typeof REJECTED; error: unknown };

export type TaskLogic<TOutput, TInput> = ActorLogic<
  TaskSnapshot<TOutput, TInput>,
  EventObject,
  TInput
>;

export function fromTask<TOutput, TInput>(
  run: (args: { input: TInput }) => PromiseLike<TOutput>,
): TaskLogic<TOutput, TInput> {
  return {
    config: run,
    getInitialSnapshot: (_, input) => ({
      status: 'active',
      output: undefined,
      error: undefined,
      input,
    }),
    start: (snapshot, { self }) => {
      if (snapshot.status !== 'active') return;
      const report = (event: TaskEvent): void => {
        if (self.getSnapshot().status === 'active') self.send(event);
      };
      let running: PromiseLike<TOutput>;
      try {
        running = run({ input: snapshot.input as TInput });
      } catch (error) {
        running = Promise.reject(error);
      }
      Promise.resolve(running).then(
        (output) => report({ type: RESOLVED, output }),
        (error: unknown) => report({ type: REJECTED, error }),
      );
    },
    transition: (snapshot, received) => {
      if (snapshot.status !== 'active') return snapshot;
      const event = received as TaskEvent | EventObject;
      if (event.type === RESOLVED) {
        const { output } = event as Extract<TaskEvent, { type: typeof RESOLVED }>;
        return { status: 'done', output: output as TOutput, error: undefined, input: undefined };
      }
      if (event.type === REJECTED) {
        const { error } = event as Extract<TaskEvent, { type: typeof REJECTED }>;
        return { status: 'error', output: undefined, error, input: undefined };
      }
      if (event.type === 'xstate.stop') {
        return { status: 'stopped', output: undefined, error: undefined, input: undefined };
      }
      return snapshot;
    },
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as TaskSnapshot<TOutput, TInput>,
  };
}
