/** `--inspect [port]` of `neuron dev` and `neuron demo`: starting the relay and saying how to use it. */
import { CliError, ExitCode } from './errors.js';
import type { InspectorServer } from './inspector-server.js';
import { integer } from './options.js';

/** The variable the examples read to send their actors to an inspector relay. */
export const INSPECT_URL_VAR = 'BIGBRAIN_INSPECT_URL';

export const DEV_INSPECT_PORT = 7778;

/** Parses the optional port of `--inspect [port]` (commander passes `true` when it is absent). */
export const inspectPort = integer('--inspect', 0, 65_535);

/** What `--inspect` needs and the SDK only lists as optional peers: a neuron never loads them. */
export const INSPECT_INSTALL = 'npm install -D @statelyai/inspect ws';

/**
 * Imports what only `--inspect` uses (the relay's `ws`, the demo's `@statelyai/inspect`) when it
 * is asked for, so `neuron dev` without it, and every neuron, run where they are not installed;
 * where they are missing, a one-line {@link CliError} saying how to install them.
 */
export async function loadForInspect<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    const missing = /Cannot find (?:package|module) '(@statelyai\/inspect|ws)'/.exec(message);
    if (code !== 'ERR_MODULE_NOT_FOUND' || !missing) throw err;
    throw new CliError(
      ExitCode.ERROR,
      `--inspect needs ${missing[1]}, an optional peer dependency of @holokai/neuron-sdk: ${INSPECT_INSTALL}`,
    );
  }
}

/**
 * Starts the relay on `127.0.0.1`, with a one-line error when the port is taken. `dashboardUrl`:
 * the gateway whose dashboard the relay's page points at when the Stately UI cannot load.
 */
export async function startInspector(
  port: number,
  dashboardUrl?: string,
): Promise<InspectorServer> {
  const { startInspectorServer } = await loadForInspect(() => import('./inspector-server.js'));
  try {
    return await startInspectorServer({
      port,
      ...(dashboardUrl !== undefined && { dashboardUrl }),
    });
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

/**
 * The lines telling a user where to see the actors and how to point neurons at the relay.
 * `dashboard`: the dev dashboard page that shows them (offline too), when there is one.
 */
export function inspectorHelp(server: InspectorServer, dashboard?: string): string[] {
  return [
    `Stately inspector relay on ${server.wsUrl} (127.0.0.1 only; nothing is opened for you):`,
    ...(dashboard ? [`  live actors, offline too: ${dashboard}`] : []),
    `  open ${server.pageUrl} in a browser for the Stately inspector UI (from stately.ai: online only)`,
    `  neurons send their actors with ${INSPECT_URL_VAR}=${server.wsUrl} (the examples read it), or`,
    `  new Neuron({ …, inspect: createWebSocketInspector({ url: '${server.wsUrl}' }).inspect })`,
  ];
}
