/**
 * A `NeuronIpcBridge` across a `MessageChannel`, both ends: what a host bridge looks like when
 * everything crossing it is structured-cloned (as over Electron IPC, `postMessage`, a worker).
 * `portBridge` is the neuron's side; `serveBridge` answers it from a host's own bridge.
 */
import type { ClientFrame, PostPath, ServerToNeuronFrame } from '@holokai/neuron-sdk';
import type { NeuronIpcBridge } from '@holokai/neuron-sdk/ipc';

type CallBody =
  | { op: 'attach' | 'detach'; neuronId: string }
  | { op: 'invoke'; path: PostPath; frame: ClientFrame };
type Call = CallBody & { id: number };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
type Push = { channel: string; frame: ServerToNeuronFrame };

/** One end of a message channel (a `MessagePort`, a window, Electron's IPC), as the bridge uses it. */
export interface Link<In> {
  send(message: unknown): void;
  listen(handler: (message: In) => void): void;
}

export function portBridge(port: Link<Reply | Push>): NeuronIpcBridge {
  let nextId = 0;
  const waiting = new Map<number, (reply: Reply) => void>();
  const listeners = new Map<string, Set<(frame: ServerToNeuronFrame) => void>>();
  port.listen((data) => {
    if ('channel' in data) {
      for (const cb of listeners.get(data.channel) ?? []) cb(data.frame);
      return;
    }
    waiting.get(data.id)?.(data);
    waiting.delete(data.id);
  });
  const call = <T>(message: CallBody): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, (reply) =>
        reply.ok ? resolve(reply.value as T) : reject(new Error(reply.message)),
      );
      port.send({ ...message, id });
    });
  return {
    attach: (neuronId) => call({ op: 'attach', neuronId }),
    detach: (neuronId) => call({ op: 'detach', neuronId }),
    subscribe(channel, cb) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set.add(cb));
      return () => set.delete(cb);
    },
    invoke: (path, frame) => call({ op: 'invoke', path, frame }),
  };
}

/** Answers `portBridge`'s calls with `host`, and forwards the frames of each attached neuron. */
export function serveBridge(port: Link<Call>, host: NeuronIpcBridge): void {
  const unsubscribes = new Map<string, () => void>();
  port.listen(async (data) => {
    try {
      let value: unknown;
      if (data.op === 'attach') {
        const attached = await host.attach(data.neuronId);
        unsubscribes.get(data.neuronId)?.();
        const { channel } = attached;
        const forward = (frame: ServerToNeuronFrame): void => port.send({ channel, frame });
        unsubscribes.set(data.neuronId, host.subscribe(channel, forward));
        value = attached;
      } else if (data.op === 'detach') {
        unsubscribes.get(data.neuronId)?.();
        unsubscribes.delete(data.neuronId);
        value = await host.detach(data.neuronId);
      } else if (data.op === 'invoke') {
        value = await host.invoke(data.path, data.frame);
      }
      port.send({ id: data.id, ok: true, value });
    } catch (err) {
      port.send({ id: data.id, ok: false, message: String(err) });
    }
  });
}
