/**
 * The "Examples" section of the SDK reference, as printed (see `sdk-reference.ts` for the
 * conventions). "Runtime concurrency update" imports Electron: it is in `../electron/`.
 */
import { Neuron } from '@holokai/neuron-sdk';

/** "Simple any-scoped capability". */
export async function simpleAnyScoped(): Promise<Neuron> {
  const neuron = new Neuron({
    gatewayUrl: process.env.GATEWAY_URL!,
    neuronId: `worker-${process.env.HOSTNAME}`,
    auth: () => process.env.GATEWAY_TOKEN!,
  });

  neuron.handle({ type: 'core/http', scope: 'any', concurrency: 8 }, async (input, ctx) => {
    const {
      url,
      method = 'GET',
      headers = {},
      body,
    } = input as {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
    };

    const resp = await fetch(url, { method, headers, body, signal: ctx.signal });
    const text = await resp.text();

    return { status: resp.status, body: text };
  });

  await neuron.start();
  return neuron;
}

/** "User-scoped capability (desktop / MCP)". */
export async function userScoped(neuron: Neuron): Promise<string> {
  const userId = await getUserIdFromToken(authToken);

  neuron.handle(
    { type: 'desktop/mcp/drive.read', scope: { onBehalfOf: userId }, concurrency: 1 },
    async (input, ctx) => {
      const { fileId } = input as { fileId: string };
      ctx.progress({ message: 'fetching file metadata' });

      const file = await driveClient.files.get({ fileId, signal: ctx.signal });
      ctx.progress({ percent: 50, message: 'downloading content' });

      const content = await driveClient.files.download({ fileId, signal: ctx.signal });
      return { name: file.name, mimeType: file.mimeType, content };
    },
  );
  return userId;
}

/** "Long-running task with progress". */
export function longRunning(neuron: Neuron): void {
  neuron.handle(
    { type: 'core/data.transform', scope: 'any', concurrency: 2 },
    async (input, ctx) => {
      const { rows } = input as { rows: unknown[] };
      const results: unknown[] = [];

      for (let i = 0; i < rows.length; i++) {
        if (ctx.signal.aborted) break; // respect cancellation

        results.push(await processRow(rows[i]));
        ctx.progress({ percent: Math.round(((i + 1) / rows.length) * 100) });
      }

      return { results };
    },
  );
}

/** "Error handling". */
export function errorHandling(neuron: Neuron): void {
  neuron.handle({ type: 'core/llm', scope: 'any', concurrency: 4 }, async (input, ctx) => {
    const { prompt, model } = input as { prompt: string; model: string };

    // CHANGED: `let response;` — biome asks for the type an implicitly typed `let` would get.
    let response: Awaited<ReturnType<typeof llmClient.complete>>;
    try {
      response = await llmClient.complete({ prompt, model, signal: ctx.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        throw err; // let the SDK handle cancellation
      }
      // biome-ignore lint/suspicious/noExplicitAny: as the reference writes it
      if ((err as any).status === 400) {
        // Bad request — no point retrying
        ctx.fail(`invalid LLM request: ${(err as Error).message}`, { code: 'INVALID_REQUEST' });
      }
      // Anything else: throw to get a retryable nack
      throw err;
    }

    return { text: response.text, tokensUsed: response.usage.total };
  });
}

/** "Graceful shutdown" (run with `process.exit` stubbed). */
export async function gracefulShutdown(neuron: Neuron): Promise<void> {
  await neuron.start();

  const shutdown = async (signal: string) => {
    console.log(`${signal} received — draining...`);
    await neuron.stop({ drain: true, timeoutMs: 30_000 });
    process.exit(0);
  };

  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
