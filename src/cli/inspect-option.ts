/** `--inspect [port]` of `neuron dev` and `neuron demo`: starting the relay and saying how to use it. */
import { CliError, ExitCode } from './errors.js';
import { type InspectorServer, startInspectorServer } from './inspector-server.js';
import { integer } from './options.js';

/** The variable the examples read to send their actors to an inspector relay. */
export const INSPECT_URL_VAR = 'BIGBRAIN_INSPECT_URL';

export const DEV_INSPECT_PORT = 7778;

/** Parses the optional port of `--inspect [port]` (commander passes `true` when it is absent). */
export const inspectPort = integer('--inspect', 0, 65_535);

/** Starts the relay on `127.0.0.1`, with a one-line error when the port is taken. */
export async function startInspector(port: number): Promise<InspectorServer> {
  try {
    return await startInspectorServer({ port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(
        ExitCode.ERROR,
        `inspector port ${port} on 127.0.0.1 is in use; pick another with --inspect <port>, or --inspect 0 for a free one`,
      );
    }
    throw err;
  }
}

/** The lines telling a user how to open the inspector and point neurons at it. */
export function inspectorHelp(server: InspectorServer): string[] {
  return [
    `Stately inspector relay on ${server.wsUrl} (127.0.0.1 only; nothing is opened for you):`,
    `  open ${server.pageUrl} in a browser (it embeds the Stately inspector UI from stately.ai)`,
    `  neurons send their actors with ${INSPECT_URL_VAR}=${server.wsUrl} (the examples read it), or`,
    `  new Neuron({ …, inspect: createWebSocketInspector({ url: '${server.wsUrl}' }).inspect })`,
  ];
}
