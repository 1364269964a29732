/**
 * The page's script, bundled for the browser by esbuild from src/ (neuron-in-browser.test.ts):
 * one `Neuron` at a time, over HTTP or over IPC, started and stopped by the test through
 * `page.evaluate`. The IPC bridge is `portBridge` whose messages go to the test process through
 * `hostSend` (a `page.exposeFunction`) and come back through `hostMessage`.
 */
import { Neuron } from '@holokai/neuron-sdk';
import { IpcTransport } from '@holokai/neuron-sdk/ipc';
import { portBridge } from '../ipc/message-port-bridge.js';

/** What the test reaches on the page's `window`. */
export interface PageApi {
  startHttp(gatewayUrl: string, token: string): Promise<void>;
  startIpc(): Promise<void>;
  /** Stops the neuron; resolves with the error events it saw. */
  stopNeuron(): Promise<string[]>;
  /** From the test process: one message of the host's side of the bridge. */
  hostMessage?: (message: unknown) => void;
  /** To the test process (exposed by it). */
  hostSend(message: unknown): Promise<void>;
}

const page = globalThis as unknown as PageApi & { document?: unknown };
let neuron: Neuron | undefined;
const errors: string[] = [];

/** Echoes with progress; `{ wait: true }` runs until cancelled. */
function start(created: Neuron): Promise<void> {
  neuron = created;
  created.on('error', (err) => errors.push(`${err.name}: ${err.message}`));
  created.handle({ type: 'acme/echo', scope: 'any', concurrency: 2 }, async (input, ctx) => {
    if ((input as { wait?: boolean }).wait) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      ctx.signal.throwIfAborted();
    }
    ctx.progress({ percent: 50, message: 'half' });
    // Where it ran: a page has a document, the test process none.
    return { echoed: input, inPage: typeof page.document === 'object' };
  });
  return created.start();
}

page.startHttp = (gatewayUrl, token) =>
  start(new Neuron({ gatewayUrl, neuronId: 'page-http', auth: () => token }));

page.startIpc = () => {
  const bridge = portBridge({
    send: (message) => void page.hostSend(message),
    listen: (handler) => {
      page.hostMessage = handler as (message: unknown) => void;
    },
  });
  return start(
    new Neuron({
      neuronId: 'page-ipc',
      transport: new IpcTransport({ bridge, neuronId: 'page-ipc' }),
    }),
  );
};

page.stopNeuron = async () => {
  await neuron?.stop();
  return errors.splice(0);
};
