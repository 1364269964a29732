/**
 * Every TypeScript example of the Developer's Guide, in its order and as printed (conventions as
 * in `sdk-reference.ts`). The Python ones are out of scope; the `IpcTransport` one is in
 * `../renderer/`. §6's `defineCapability` is the reference's, in `sdk-reference.ts`.
 */
import { type HandlerContext, Neuron, type NeuronLogger } from '@holokai/neuron-sdk';
import { createClientCredentialsAuth, defaultCredentialPath } from '@holokai/neuron-sdk/auth';

/** §2 "Authentication — getting a token" (type-checked only: it needs an enrolled credential). */
export function headlessAuth(gatewayUrl: string, neuronId: string): Neuron {
  const neuron = new Neuron({
    gatewayUrl,
    neuronId,
    auth: createClientCredentialsAuth(defaultCredentialPath()),
  });
  return neuron;
}

/** §2 "Scaling out a fleet" (type-checked only, likewise). */
export function fleetReplica(gatewayUrl: string): Neuron {
  const neuron = new Neuron({
    gatewayUrl,
    neuronId: `my-fleet-${process.env.HOSTNAME}`, // distinct per replica
    auth: createClientCredentialsAuth('/etc/holokai/neuron-credentials.json'),
  });
  return neuron;
}

/** §3 "Your first neuron (TypeScript)". */
export async function firstNeuron(): Promise<Neuron> {
  const neuron = new Neuron({
    gatewayUrl: process.env.GATEWAY_URL!, // e.g. https://bigbrain.holokai.dev
    neuronId: `worker-${process.env.HOSTNAME}`, // stable per process
    auth: () => process.env.GATEWAY_TOKEN!, // dev shortcut — see §2 Authentication
    // (headless prod: createClientCredentialsAuth…)
  });

  neuron.handle({ type: 'core/http', scope: 'any', concurrency: 8 }, async (input, ctx) => {
    const {
      url,
      method = 'GET',
      headers = {},
      body,
    } = input as { url: string; method?: string; headers?: Record<string, string>; body?: string };

    // Always thread ctx.signal so the call aborts on cancel/shutdown.
    const resp = await fetch(url, { method, headers, body, signal: ctx.signal });
    return { status: resp.status, body: await resp.text() };
  });

  await neuron.start(); // opens SSE, registers, heartbeats

  process.on('SIGTERM', () => neuron.stop({ drain: true, timeoutMs: 30_000 }));
  return neuron;
}

/**
 * §5 "Classifying failures correctly". CHANGED: `{ ...input, signal }` spread `input`, which is
 * `unknown` for a registration without a schema (in the reference's `Handler` too, whose `TInput`
 * defaults to `unknown`), and TypeScript spreads only objects; cast as the other examples do.
 */
export function classifyFailures(neuron: Neuron): void {
  neuron.handle({ type: 'core/llm', scope: 'any', concurrency: 4 }, async (input, ctx) => {
    try {
      return await llmClient.complete({
        ...(input as { prompt: string; model: string }),
        signal: ctx.signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err; // cancellation
      // biome-ignore lint/suspicious/noExplicitAny: as the guide writes it
      if ((err as any).status === 400) ctx.fail('invalid LLM request', { code: 'INVALID_REQUEST' }); // terminal
      throw err; // retryable
    }
  });
}

/** §7 "The HandlerContext toolkit". */
export async function toolkit(ctx: HandlerContext, fileId: string, url: string): Promise<Response> {
  ctx.progress({ percent: 50, message: 'downloading' });
  ctx.log.info({ fileId }, 'fetched metadata');
  const resp = await fetch(url, { signal: ctx.signal }); // aborts cleanly on cancel
  return resp;
}

/** §8 "HttpTransport (default)". */
export function defaultTransport(gatewayUrl: string, neuronId: string, auth: () => string): Neuron {
  const neuron = new Neuron({ gatewayUrl, neuronId, auth });
  return neuron;
}

/**
 * §10 "Unit-testing handlers": "Test it in isolation by passing a fake ctx — a stub signal, a
 * no-op progress, a capturing log. No gateway needed." Written to the reference's
 * `HandlerContext` (task, leaseId, signal, log, progress, fail).
 */
export function fakeContext(input: unknown, lines: string[] = []): HandlerContext {
  const log: NeuronLogger = {
    debug: (_meta, msg) => lines.push(`debug ${msg}`),
    info: (_meta, msg) => lines.push(`info ${msg}`),
    warn: (_meta, msg) => lines.push(`warn ${msg}`),
    error: (_meta, msg) => lines.push(`error ${msg}`),
  };
  const ctx: HandlerContext = {
    task: { taskId: 't-1', input },
    leaseId: 'l-1',
    signal: new AbortController().signal,
    log,
    progress: () => {},
    fail: (reason) => {
      throw new Error(reason);
    },
  };
  return ctx;
}

/** §10 "Watch the wire". */
export function watchTheWire(neuron: Neuron): void {
  neuron.on('frame', (f) => debugLog.append(f));
  neuron.once('connection:registered', ({ sessionId, capabilities }) =>
    console.log(`registered ${capabilities} caps as ${sessionId}`),
  );
  neuron.on('connection:reconnecting', ({ attempt, delayMs, reason }) =>
    statusBar.show(`reconnecting #${attempt} in ${delayMs}ms (${reason})`),
  );
}
