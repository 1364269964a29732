/**
 * What an app hands `IpcTransport`: its side of an IPC channel to a host that runs (or reaches)
 * the gateway, such as Holokai Desktop's Electron main process. The SDK does not depend on
 * Electron; the renderer's preload builds the bridge and exposes it through `contextBridge`.
 *
 * Every value that crosses it is plain data (strings, JSON-like frames and answers), so it fits
 * any channel that structured-clones: Electron IPC, a `MessageChannel`, `postMessage`.
 */
import type { ClientFrame, PostPath, ServerToNeuronFrame } from '../protocol/frames.js';

export interface NeuronIpcBridge {
  /**
   * Attach this neuron to the host; resolves with the channel its frames will come on. Attaching
   * a neuron that is already attached replaces that attachment (the neuron re-attaches after a
   * `disconnect` frame or a failure). The host sends nothing on the channel before the neuron's
   * first `invoke('register', …)`.
   */
  attach(neuronId: string): Promise<{ channel: string }>;
  /** Undo `attach`: the host stops sending on the neuron's channel. */
  detach(neuronId: string): Promise<void>;
  /**
   * Call `cb` with every frame the host sends on `channel` (PROTOCOL.md's server → neuron frames,
   * as objects) until the returned function is called.
   */
  subscribe(channel: string, cb: (frame: ServerToNeuronFrame) => void): () => void;
  /**
   * Deliver one frame as `POST /neuron/{path}` would (the host adds the credentials). Resolves
   * with the gateway's answer: preferably an `IpcAnswer`, which carries its status; any other
   * value is taken as the body of a 2xx answer. Rejects only when the frame could not be
   * delivered at all (the transport then treats it as a network error).
   */
  invoke<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown>;
}

/**
 * The gateway's answer to one `invoke`, as plain data: what an `app.inject()` (or a `fetch`) on
 * the host side gives, reduced to what the neuron reads.
 */
export interface IpcAnswer {
  /** The HTTP status (an integer, 100–599): 2xx accepted; otherwise PROTOCOL.md's POST table. */
  status: number;
  /** The body, parsed (`{ error: { code, message } }` on a refusal); absent when empty. */
  body?: unknown;
  /** The `Retry-After` header, when the answer had one: its text, or a number of seconds. */
  retryAfter?: string | number;
}

/** An `IpcAnswer` (its `status` an HTTP status), as opposed to a bare 2xx body. */
export function isIpcAnswer(value: unknown): value is IpcAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const status = (value as { status?: unknown }).status;
  return Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599;
}
