/**
 * A small scripted host behind a `NeuronIpcBridge`: it records every call in order, answers
 * `invoke` through a replaceable `answer` function, sends frames on the attached channel, and
 * can make any bridge call fail (reject, throw) or hang.
 */
import type { ClientFrame, PostPath, ServerToNeuronFrame } from '@holokai/neuron-sdk';
import type { NeuronIpcBridge } from '@holokai/neuron-sdk/ipc';

export type BridgeOp = 'attach' | 'detach' | 'subscribe' | 'unsubscribe' | 'invoke';

export type HostCall =
  | { op: 'attach' | 'detach'; neuronId: string }
  | { op: 'subscribe' | 'unsubscribe'; channel: string }
  | { op: 'invoke'; path: PostPath; frame: ClientFrame };

export type Failure = 'reject' | 'throw' | 'hang';

export interface FakeHost {
  bridge: NeuronIpcBridge;
  calls: HostCall[];
  /** The calls of one kind, in order. */
  callsOf<O extends BridgeOp>(op: O): Array<Extract<HostCall, { op: O }>>;
  /** The frames posted to `path`, in order. */
  posted(path: PostPath): ClientFrame[];
  /** How the host answers `invoke`. @default () => ({ status: 202 }) */
  answer: (path: PostPath, frame: ClientFrame) => unknown;
  /** What `attach` resolves with. @default { channel: 'bigbrain:neuron:<neuronId>' } */
  attachAnswer: (neuronId: string) => unknown;
  /** The next `count` calls of `op` fail that way. */
  failNext(op: BridgeOp, how: Failure, count?: number): void;
  /** Send a frame (or anything) on the subscribed channel; false when nobody listens. */
  send(frame: unknown): boolean;
  isSubscribed(): boolean;
}

export function fakeHost(): FakeHost {
  const calls: HostCall[] = [];
  const failures = new Map<BridgeOp, Failure[]>();
  let listener: ((frame: ServerToNeuronFrame) => void) | undefined;

  /** Applies a scripted failure to `op`, if one is due; else runs `then`. */
  const perform = <T>(op: BridgeOp, then: () => T | Promise<T>): Promise<T> => {
    const how = failures.get(op)?.shift();
    if (how === 'throw') throw new Error(`${op} threw`);
    if (how === 'reject') return Promise.reject(new Error(`${op} failed`));
    if (how === 'hang') return new Promise<T>(() => {});
    return Promise.resolve().then(then);
  };

  const host: FakeHost = {
    calls,
    callsOf: <O extends BridgeOp>(op: O) =>
      calls.filter((call): call is Extract<HostCall, { op: O }> => call.op === op),
    posted: (path) => host.callsOf('invoke').flatMap((c) => (c.path === path ? [c.frame] : [])),
    answer: () => ({ status: 202 }),
    attachAnswer: (neuronId) => ({ channel: `bigbrain:neuron:${neuronId}` }),
    failNext(op, how, count = 1) {
      const queue = failures.get(op) ?? [];
      for (let i = 0; i < count; i++) queue.push(how);
      failures.set(op, queue);
    },
    send(frame) {
      if (!listener) return false;
      listener(frame as ServerToNeuronFrame);
      return true;
    },
    isSubscribed: () => listener !== undefined,
    bridge: {
      attach(neuronId) {
        calls.push({ op: 'attach', neuronId });
        return perform('attach', () => host.attachAnswer(neuronId) as { channel: string });
      },
      detach(neuronId) {
        calls.push({ op: 'detach', neuronId });
        return perform('detach', () => {});
      },
      subscribe(channel, cb) {
        calls.push({ op: 'subscribe', channel });
        const how = failures.get('subscribe')?.shift();
        if (how) throw new Error('subscribe threw');
        listener = cb;
        return () => {
          calls.push({ op: 'unsubscribe', channel });
          if (listener === cb) listener = undefined;
          const failure = failures.get('unsubscribe')?.shift();
          if (failure) throw new Error('unsubscribe threw');
        };
      },
      invoke(path, frame) {
        calls.push({ op: 'invoke', path, frame });
        return perform('invoke', () => host.answer(path, frame));
      },
    },
  };
  return host;
}
