/**
 * Every TypeScript example of the SDK reference (Neuron-SDK-Reference), in its order and as
 * printed: each in a function, its imports hoisted to the top of this file. A name an example
 * uses but does not define is a parameter (the `neuron` it adds a handler to) or one of the
 * globals of `../world.ts` (`runPython`, `statusBar`…). Where an example had to change to compile,
 * a `CHANGED:` comment says what and why.
 *
 * The Electron examples (the preload, `powerMonitor`) and the renderer's `IpcTransport` are in
 * `../electron/` and `../renderer/`, type-checked as a browser project (DOM, no Node types).
 */
import {
  type AuthCallback,
  type ClientFrame,
  defineCapability,
  type Handler,
  type HandlerContext,
  HttpTransport,
  Neuron,
  type NeuronLogger,
  type PostPath,
  type ServerToNeuronFrame,
  type Transport,
  type TransportCallbacks,
} from '@holokai/neuron-sdk';
import { createClientCredentialsAuth, defaultCredentialPath } from '@holokai/neuron-sdk/auth';
import pino from 'pino';
// CHANGED: the reference imports `z` from 'zod'. Its schema uses zod 3's one-argument
// `z.record(valueSchema)`, which zod 4 (this repository's `zod`) refuses; `zod3` is zod 3.
import { z } from 'zod3';

/** "Quick start". */
export async function quickStart(): Promise<Neuron> {
  const neuron = new Neuron({
    gatewayUrl: 'https://bigbrain.holokai.dev',
    neuronId: 'my-worker-001', // stable per process/device
    auth: () => process.env.GATEWAY_TOKEN!, // or an async refresh function
  });

  neuron.handle(
    { type: 'core/script.python', scope: 'any', concurrency: 4 },
    async (input, ctx) => {
      ctx.log.info({}, 'running python script');
      const result = await runPython(input as { code: string }, ctx.signal);
      return { output: result };
    },
  );

  await neuron.start();

  process.on('SIGTERM', () => neuron.stop({ drain: true, timeoutMs: 30_000 }));
  return neuron;
}

/**
 * "Steady state": Node-only `@holokai/neuron-sdk/auth`. Type-checked only: without an enrolled
 * credential file `createClientCredentialsAuth` throws at once (fail-fast, as the Guide wants).
 */
export function steadyState(): Neuron {
  const neuron = new Neuron({
    gatewayUrl: 'https://bigbrain.holokai.dev',
    neuronId: 'warehouse-connector-001',
    auth: createClientCredentialsAuth(defaultCredentialPath()),
  });
  return neuron;
}

/**
 * "Scope": one neuron, mixed scopes. CHANGED: the PDF cuts both lines off after `concurrenc`;
 * completed with a concurrency and the handler.
 */
export function mixedScopes(neuron: Neuron, handler: Handler): void {
  neuron.handle(
    { type: 'desktop/mcp/drive.read', scope: { onBehalfOf: 'user:abc' }, concurrency: 1 },
    handler,
  );
  neuron.handle({ type: 'core/script.python', scope: 'any', concurrency: 4 }, handler);
}

/** "Neuron ID": the two `neuronId` lines, each in the options object it belongs to. */
export async function neuronIds(): Promise<Array<{ neuronId: string }>> {
  const server = {
    // Server process
    neuronId: `worker-${process.env.HOSTNAME}-${process.pid}`,
  };
  const desktop = {
    // Desktop app — persist a UUID to disk
    neuronId: await readOrCreateStoredId('/var/lib/myapp/neuron-id'),
  };
  return [server, desktop];
}

/** "neuron.start()", "neuron.stop(opts?)", "neuron.updateCapability(reg)": the calls as shown. */
export async function lifecycleCalls(neuron: Neuron): Promise<void> {
  await neuron.start();
  await neuron.updateCapability({ type: 'core/script.python', concurrency: 8 });
  await neuron.stop({ drain: true, timeoutMs: 30_000 });
}

/** "ctx.signal". */
export async function signalSnippet(ctx: HandlerContext, url: string): Promise<Response> {
  const resp = await fetch(url, { signal: ctx.signal });
  return resp;
}

/** "ctx.progress()". */
export function progressSnippet(ctx: HandlerContext): void {
  ctx.progress({ percent: 50, message: 'halfway done' });
  ctx.progress({ data: { rowsProcessed: 1200 } });
}

/** "ctx.fail()". */
export function failSnippet(ctx: HandlerContext): void {
  if (!validApiKey) {
    ctx.fail('invalid API key', { code: 'INVALID_API_KEY' });
    // unreachable — fail() throws internally
  }
}

/** "AuthCallback": a refreshing callback. */
export async function refreshingAuth(): Promise<AuthCallback> {
  let token = await fetchInitialToken();

  const auth = async () => {
    if (isExpired(token)) {
      token = await refreshToken();
    }
    return token.accessToken;
  };
  return auth;
}

/** "NeuronLogger": pino. CHANGED: `new Neuron({ ..., logger })` spelled out (`...` elides). */
export function pinoLogger(gatewayUrl: string, neuronId: string, auth: AuthCallback): Neuron {
  const logger = pino({ level: 'info' });
  const neuron = new Neuron({ gatewayUrl, neuronId, auth, logger });
  return neuron;
}

/** "NeuronLogger": the interface, implemented over `console` as the reference suggests. */
export const consoleLogger: NeuronLogger = {
  debug: (meta, msg) => console.debug(msg, meta),
  info: (meta, msg) => console.info(msg, meta),
  warn: (meta, msg) => console.warn(msg, meta),
  error: (meta, msg) => console.error(msg, meta),
};

/**
 * "defineCapability()". CHANGED: the reference registers `pythonCap` twice on one neuron to show
 * both forms; a second `handle()` of a type throws, so the override goes to `other`.
 */
export function definedCapability(
  neuron: Neuron,
  other: Neuron,
  fn: Handler<
    { code: string; args?: Record<string, unknown> },
    { stdout: string; exitCode: number }
  >,
) {
  const pythonCap = defineCapability({
    type: 'core/script.python',
    description: 'Run a Python script in a sandbox',
    input: z.object({ code: z.string(), args: z.record(z.unknown()).optional() }),
    output: z.object({ stdout: z.string(), exitCode: z.number() }),
    scope: 'any', // optional default; overridable at handle() time
    concurrency: 4, // optional default; overridable at handle() time
  });

  // Handler input/output inferred — no manual type annotations:
  // biome-ignore lint/correctness/noUnusedFunctionParameters: as the reference writes it
  neuron.handle(pythonCap, async (input, ctx) => {
    // input: { code: string; args?: Record<string, unknown> }
    return { stdout: '...', exitCode: 0 };
  });

  // Or override defaults per deployment:
  other.handle(pythonCap, { scope: { onBehalfOf: 'user-123' }, concurrency: 8 }, fn);
  return pythonCap;
}

/** "Events". */
export function events(neuron: Neuron): void {
  const off = neuron.on('frame', (frame) => {
    log.append(frame); // see every parsed SSE frame
  });
  off(); // unsubscribe

  neuron.once('connection:registered', ({ sessionId }) => {
    console.log(`registered as ${sessionId}`);
  });

  neuron.on('connection:reconnecting', ({ attempt, delayMs, reason }) => {
    statusBar.show(`reconnecting (attempt ${attempt}, ${delayMs}ms)`, reason);
  });
}

/**
 * "Events": `frame: ServerToNeuronFrame`, "Neuron extends EventEmitter from eventemitter3 — a
 * drop-in for Node's EventEmitter": a listener typed with the documented union, and chaining.
 */
export function typedFrameListener(neuron: Neuron, seen: ServerToNeuronFrame[]): Neuron {
  return neuron
    .on('frame', (frame: ServerToNeuronFrame) => {
      if (frame.type === 'lease') seen.push(frame);
    })
    .on('error', (err: Error) => statusBar.show(err.message));
}

/**
 * "Transports": a transport of one's own, written to the reference's `Transport` and
 * `TransportCallbacks` (the reference's way to add e.g. a WebSocket transport). This one is a
 * loopback: `serve` plays the gateway's part.
 */
export class LoopbackTransport implements Transport {
  private callbacks: TransportCallbacks[] = [];
  private connected = false;

  constructor(
    private readonly serve: (
      path: PostPath,
      frame: ClientFrame,
      send: (frame: ServerToNeuronFrame) => void,
    ) => unknown,
  ) {}

  subscribe(callbacks: TransportCallbacks): void {
    this.callbacks.push(callbacks);
  }

  async start(): Promise<void> {
    this.connected = true;
    for (const cb of this.callbacks) cb.onOpen?.();
  }

  async stop(): Promise<void> {
    this.connected = false;
  }

  async post<T extends ClientFrame>(path: PostPath, frame: T): Promise<unknown> {
    return this.serve(path, frame, (inbound) => {
      for (const cb of this.callbacks) cb.onFrame?.(inbound);
    });
  }

  isConnected(): boolean {
    return this.connected;
  }
}

/** "Transports": callbacks written to the reference's `TransportCallbacks`. */
export function referenceCallbacks(seen: ServerToNeuronFrame[]): TransportCallbacks {
  return {
    onOpen: () => {},
    onClose: (reason: string) => statusBar.show(reason),
    onFrame: (frame: ServerToNeuronFrame) => seen.push(frame),
    onError: (err: Error) => statusBar.show(err.message),
    onReconnecting: (info: { attempt: number; delayMs: number; reason: string }) =>
      statusBar.show(info.reason),
  };
}

/** "HttpTransport". */
export function httpTransport(): Neuron {
  const transport = new HttpTransport({
    gatewayUrl: 'https://bigbrain.holokai.dev',
    neuronId: 'my-worker-001',
    auth: () => process.env.GATEWAY_TOKEN!,
    // optional:
    initialReconnectDelayMs: 500,
    maxReconnectDelayMs: 30_000,
  });

  const neuron = new Neuron({ neuronId: 'my-worker-001', transport });
  return neuron;
}
