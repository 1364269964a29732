/**
 * The environment every example reads, with a one-line error for each mistake:
 *
 *   BIGBRAIN_GATEWAY_URL   the gateway's base URL (`npx neuron dev` prints it)
 *   BIGBRAIN_NEURON_ID     stable per process or device (default `<example>-<hostname>`)
 *
 * and, for auth, the first of these that is there, as the reference documentation recommends:
 *
 *   BIGBRAIN_CREDENTIAL_FILE  an enrolled credential (`npx neuron enroll`): short-lived tokens
 *                          minted from it; else the default credential file, if it exists
 *                          ($HOLOKAI_CREDENTIAL_FILE or ~/.holokai/neuron-credentials.json)
 *   BIGBRAIN_TOKEN         a bearer token, or
 *   BIGBRAIN_TOKEN_FILE    a file holding it, re-read on every request so it can be rotated
 *   BIGBRAIN_INSPECT_URL   optional: send the neuron's actors to this Stately inspector relay
 *                          (`npx neuron dev --inspect` prints one)
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { AuthCallback, NeuronRunOptions } from '@holokai/neuron-sdk';
import { createClientCredentialsAuth, defaultCredentialPath } from '@holokai/neuron-sdk/auth';

export interface NeuronEnv {
  gatewayUrl: string;
  neuronId: string;
  /** Pass as `auth` to `new Neuron()`: the SDK calls it for every request. */
  auth: AuthCallback;
  /** Pass as `inspect`: set when `BIGBRAIN_INSPECT_URL` is. */
  inspect?: NeuronRunOptions['inspect'];
}

/** A missing or invalid variable; its message is one line, fit to print as is. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Reads the environment; throws an {@link EnvError} saying what to set. `defaultCredentialFile`
 * is where an enrolled credential is looked for when `BIGBRAIN_CREDENTIAL_FILE` is not set.
 */
export function parseEnv(
  example: string,
  vars: NodeJS.ProcessEnv = process.env,
  defaultCredentialFile = defaultCredentialPath(),
): NeuronEnv {
  const gatewayUrl = vars.BIGBRAIN_GATEWAY_URL?.trim();
  if (!gatewayUrl) {
    throw new EnvError(
      'BIGBRAIN_GATEWAY_URL is not set: set it to the gateway URL (`npx neuron dev` prints one)',
    );
  }
  if (!URL.canParse(gatewayUrl)) {
    throw new EnvError(`BIGBRAIN_GATEWAY_URL is not a URL: ${JSON.stringify(gatewayUrl)}`);
  }
  const neuronId = vars.BIGBRAIN_NEURON_ID?.trim() || `${example}-${hostname()}`;
  const env: NeuronEnv = { gatewayUrl, neuronId, auth: authSource(vars, defaultCredentialFile) };
  const inspectUrl = vars.BIGBRAIN_INSPECT_URL?.trim();
  if (!inspectUrl) return env;
  if (!/^wss?:\/\//.test(inspectUrl) || !URL.canParse(inspectUrl)) {
    throw new EnvError(
      `BIGBRAIN_INSPECT_URL must be a ws:// URL (\`npx neuron dev --inspect\` prints one), got ${JSON.stringify(inspectUrl)}`,
    );
  }
  return { ...env, inspect: loadInspect().createWebSocketInspector({ url: inspectUrl }).inspect };
}

/**
 * `@statelyai/inspect`, loaded only when `BIGBRAIN_INSPECT_URL` is set: it is an optional peer of
 * the SDK, which a neuron without an inspector need not install. `require` (Node 20.19+ loads ES
 * modules with it) keeps {@link parseEnv} synchronous.
 */
function loadInspect(): typeof import('@statelyai/inspect') {
  try {
    return createRequire(import.meta.url)('@statelyai/inspect');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new EnvError(
      'BIGBRAIN_INSPECT_URL needs @statelyai/inspect: npm install -D @statelyai/inspect ws',
    );
  }
}

/** Like {@link parseEnv}, but prints the error on one line and exits 1: for a `main.ts`. */
export function readEnv(example: string): NeuronEnv {
  try {
    return parseEnv(example);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`${example}: ${err.message}`);
    process.exit(1);
  }
}

/** An enrolled credential first, else a static token. */
function authSource(vars: NodeJS.ProcessEnv, defaultCredentialFile: string): AuthCallback {
  const credential = vars.BIGBRAIN_CREDENTIAL_FILE?.trim();
  if (credential || existsSync(defaultCredentialFile)) {
    try {
      // Reads the file now: a missing or unusable one is one line at start-up.
      return createClientCredentialsAuth(credential || defaultCredentialFile);
    } catch (err) {
      throw new EnvError((err as Error).message);
    }
  }
  const token = vars.BIGBRAIN_TOKEN?.trim();
  const file = vars.BIGBRAIN_TOKEN_FILE?.trim();
  if (token && file) {
    throw new EnvError('set BIGBRAIN_TOKEN or BIGBRAIN_TOKEN_FILE, not both');
  }
  if (token) return () => token;
  if (!file) {
    throw new EnvError(
      `no credential: enroll this machine (\`npx neuron enroll --moku-url <url> --name <name>\`; \`npx neuron dev\` prints the URL), or set BIGBRAIN_TOKEN to a bearer token (or BIGBRAIN_TOKEN_FILE to a file holding one)`,
    );
  }
  // Fail at start-up, not on the first request, when the file cannot be read.
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvError(`BIGBRAIN_TOKEN_FILE cannot be read: ${(err as Error).message}`);
  }
  nonEmpty(text, file);
  // Re-read on every call, so a token rotated on disk (a mounted secret) is picked up.
  return async () => nonEmpty(await readFile(file, 'utf8'), file);
}

function nonEmpty(text: string, file: string): string {
  const token = text.trim();
  if (!token) throw new EnvError(`BIGBRAIN_TOKEN_FILE ${file} is empty`);
  return token;
}
