import type { ClientFrame, InboundFrame, PostPath } from '../protocol/frames.js';

export interface ReconnectInfo {
  attempt: number;
  delayMs: number;
  reason: string;
}

/**
 * What a transport reports. The first five are the reference SDK's; `onActivity`,
 * `onRetryHint` and `onAuthRejected` let the connection machine watch for a dead stream, honour
 * `retry:` and escalate a repeated 401.
 */
export interface TransportCallbacks {
  /** The inbound stream is open. */
  onOpen?: () => void;
  /** The inbound stream ended (cleanly or not). Not called for a `stop()` the SDK asked for. */
  onClose?: (reason: string) => void;
  /**
   * A parsed, validated inbound frame (unknown `type`s included). A method, so checked
   * bivariantly: a callback declared with the reference's `ServerToNeuronFrame` compiles too.
   */
  onFrame?(frame: InboundFrame, eventId?: string): void;
  /** A transport or parse error; the stream goes on unless `onClose` follows. */
  onError?: (err: Error) => void;
  /** For transports that reconnect by themselves. */
  onReconnecting?: (info: ReconnectInfo) => void;
  /** Bytes arrived on the stream (events and `:` comments alike). */
  onActivity?: () => void;
  /** An SSE `retry:` field: the next reconnect delay, in ms. */
  onRetryHint?: (delayMs: number) => void;
  /**
   * A POST got a second consecutive 401 (after `auth` was called again): "A second consecutive
   * `401` escalates: the connection goes to backoff and reconnects".
   */
  onAuthRejected?: () => void;
}

/** Reconnect settings a transport may carry, read by the `Neuron` that drives it. */
export interface ReconnectPolicy {
  initialReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  idleTimeoutMs?: number;
}

/**
 * The wire, in both directions. `Neuron` drives it: `start()` opens the inbound stream once
 * (rejecting with a `GatewayStatusError` that carries the status when the gateway refuses),
 * and the neuron's connection machine decides when to call `start()` again.
 */
export interface Transport {
  subscribe(callbacks: TransportCallbacks): void;
  /** Open the inbound stream; resolves once it is open. */
  start(): Promise<void>;
  /** Close the inbound stream. `start()` may be called again afterwards. */
  stop(): Promise<void>;
  /** POST one frame; resolves with the parsed answer body (`undefined` when empty). */
  post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown>;
  isConnected(): boolean;
  /** Release everything (sockets, pools). Called once, by `neuron.stop()`, after the last POST. */
  close?(): Promise<void>;
  readonly reconnectPolicy?: ReconnectPolicy;
}

/**
 * Supplies the bearer token; called afresh for every request and every SSE open. Right after the
 * gateway answered 401 it is called with `{ rejected: true }`: a callback that caches tokens
 * should not return the same one again (`createClientCredentialsAuth` fetches a new one).
 */
export type AuthCallback = (request?: AuthRequest) => Promise<string> | string;

/** Why `auth` is being called, when there is more to say than "a request is going out". */
export interface AuthRequest {
  /** The gateway rejected (401) the token the last call returned. */
  rejected: true;
}
