/**
 * Lighter actor kinds for the effects a lease runs thousands of times a second.
 *
 * `fromTask`: a one-shot async effect as an actor, like xstate's `fromPromise` without what a
 * lease's outcome POST never uses: `fromPromise` makes an `AbortController` (an EventTarget and
 * two Maps) per actor and keeps it in a `WeakMap`, for a `signal` the transport does not take
 * (it aborts its own requests on close). Stopping the actor drops the result, as there.
 */
import type { ActorLogic, AnyActorRef, EventObject, Snapshot } from 'xstate';

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

/** A running effect's handle: it hears every event sent to its actor, and the actor's stop. */
export interface Control<TEvent extends EventObject> {
  receive(event: TEvent): void;
  stop(): void;
}

export type ControlledSnapshot<TInput> = Snapshot<undefined> & {
  input: TInput;
  /** Set when the actor starts; the effect's own object, never persisted. */
  control?: Control<EventObject> | undefined;
};

export type ControlledLogic<TEvent extends EventObject, TInput> = ActorLogic<
  ControlledSnapshot<TInput>,
  TEvent,
  TInput
>;

/**
 * `fromControlled`: a long-running effect with a handle, like xstate's `fromCallback` with one
 * object per actor — the handle `start` returns — instead of a closure per callback, a receivers
 * `Set` and a `WeakMap` entry. The effect reports to its parent itself (`parent.send`).
 */
export function fromControlled<TEvent extends EventObject, TInput>(
  start: (args: { input: TInput; parent: AnyActorRef | undefined }) => Control<TEvent>,
): ControlledLogic<TEvent, TInput> {
  return {
    config: start,
    getInitialSnapshot: (_, input) => ({
      status: 'active',
      output: undefined,
      error: undefined,
      input,
      control: undefined,
    }),
    start: (snapshot, { self }) => {
      if (snapshot.status !== 'active') return;
      // The snapshot is this actor's own object; the handle lives on it while it runs.
      snapshot.control = start({
        input: snapshot.input,
        parent: self._parent,
      }) as Control<EventObject>;
    },
    transition: (snapshot, event) => {
      if (snapshot.status !== 'active') return snapshot;
      if (event.type === 'xstate.stop') {
        snapshot.control?.stop();
        return { status: 'stopped', output: undefined, error: undefined, input: snapshot.input };
      }
      snapshot.control?.receive(event);
      return snapshot;
    },
    getPersistedSnapshot: ({ control: _control, ...persisted }) => persisted,
    restoreSnapshot: (snapshot) => snapshot as ControlledSnapshot<TInput>,
  };
}
