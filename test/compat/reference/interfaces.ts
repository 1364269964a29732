/**
 * The interfaces the SDK reference prints, as it prints them (prefixed `Ref`), for
 * `../interfaces.test.ts` to hold the SDK's own types against: what a user hands the SDK must be
 * accepted when written to the reference's interface, and what the SDK hands a user must fit it.
 */
import type {
  ClientFrame,
  JsonSchema,
  NeuronLogger,
  PostPath,
  ServerToNeuronFrame,
  TaskPayload,
  Transport,
} from '@holokai/neuron-sdk';

export type RefAuthCallback = () => Promise<string> | string;

export interface RefNeuronCommonOptions {
  neuronId: string; // Stable per process/device
  logger?: NeuronLogger; // Plug in pino, console, etc. Default: silent
  heartbeatIntervalMs?: number; // Default 10_000 (10s)
}

export interface RefNeuronOptionsWithHttp extends RefNeuronCommonOptions {
  gatewayUrl: string; // Base URL, e.g. 'https://bigbrain.holokai.dev'
  auth: RefAuthCallback; // Token provider (see below)
  initialReconnectDelayMs?: number; // Default 500ms
  maxReconnectDelayMs?: number; // Default 30_000 (30s)
  fetch?: typeof fetch; // Override for tests
}

export interface RefNeuronOptionsWithTransport extends RefNeuronCommonOptions {
  transport: Transport;
}

export type RefNeuronOptions = RefNeuronOptionsWithHttp | RefNeuronOptionsWithTransport;

export interface RefCapabilityRegistration {
  type: string; // Namespaced capability type
  scope: 'any' | { onBehalfOf: string };
  concurrency: number; // Max parallel executions
  inputSchema?: JsonSchema; // Optional; validated before invoking handler
  outputSchema?: JsonSchema; // Optional; validated before acking
}

export interface RefHandlerContext {
  task: TaskPayload; // Full task metadata
  leaseId: string; // Gateway lease ID (for logging/debugging)
  signal: AbortSignal; // Fires on gateway cancel or SDK shutdown
  log: NeuronLogger; // Logger scoped to this lease
  progress(update: { percent?: number; message?: string; data?: unknown }): void;
  fail(reason: string, opts?: { code?: string }): never;
}

export type RefHandler<TInput = unknown, TOutput = unknown> = (
  input: TInput,
  ctx: RefHandlerContext,
) => Promise<TOutput> | TOutput;

export interface RefNeuronLogger {
  debug(meta: Record<string, unknown>, msg?: string): void;
  info(meta: Record<string, unknown>, msg?: string): void;
  warn(meta: Record<string, unknown>, msg?: string): void;
  error(meta: Record<string, unknown>, msg?: string): void;
}

/** "The full event map", its payload column. */
export interface RefEventPayloads {
  'connection:open': [];
  'connection:registered': [{ sessionId: string; capabilities: number }];
  'connection:close': [reason: string];
  'connection:reconnecting': [{ attempt: number; delayMs: number; reason: string }];
  error: [err: Error];
  frame: [frame: ServerToNeuronFrame];
}

export interface RefTransport {
  subscribe(callbacks: RefTransportCallbacks): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown>;
  isConnected(): boolean;
}

export interface RefTransportCallbacks {
  onOpen?: () => void;
  onClose?: (reason: string) => void;
  onFrame?: (frame: ServerToNeuronFrame) => void;
  onError?: (err: Error) => void;
  onReconnecting?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface RefHttpTransportOptions {
  gatewayUrl: string;
  neuronId: string;
  auth: RefAuthCallback;
  logger?: NeuronLogger;
  initialReconnectDelayMs?: number; // default 500ms
  maxReconnectDelayMs?: number; // default 30_000ms
  fetch?: typeof fetch;
}

export interface RefNeuronIpcBridge {
  attach(neuronId: string): Promise<{ channel: string }>;
  detach(neuronId: string): Promise<void>;
  subscribe(channel: string, cb: (frame: ServerToNeuronFrame) => void): () => void;
  invoke<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown>;
}

export interface RefIpcTransportOptions {
  bridge: RefNeuronIpcBridge;
  neuronId: string;
  logger?: NeuronLogger;
}

/** `neuron.stop({ drain?: boolean, timeoutMs?: number })`. */
export interface RefStopOptions {
  drain?: boolean;
  timeoutMs?: number;
}
