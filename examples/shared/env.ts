/**
 * The environment every example reads, with a one-line error for each mistake:
 *
 *   BIGBRAIN_GATEWAY_URL   the gateway's base URL (`npx neuron dev` prints it)
 *   BIGBRAIN_NEURON_ID     stable per process or device (default `<example>-<hostname>`)
 *   BIGBRAIN_TOKEN         the bearer token, or
 *   BIGBRAIN_TOKEN_FILE    a file holding it, re-read on every request so it can be rotated
 *   BIGBRAIN_INSPECT_URL   optional: send the neuron's actors to this Stately inspector relay
 *                          (`npx neuron dev --inspect` prints one)
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { NeuronRunOptions } from '@holokai/neuron-sdk';
import { createWebSocketInspector } from '@statelyai/inspect';

export interface NeuronEnv {
  gatewayUrl: string;
  neuronId: string;
  /** Pass as `auth` to `new Neuron()`: the SDK calls it for every request. */
  auth: () => string | Promise<string>;
  /** Pass as `inspect`: set when `BIGBRAIN_INSPECT_URL` is. */
  inspect?: NeuronRunOptions['inspect'];
}

/** A missing or invalid variable; its message is one line, fit to print as is. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/** Reads the environment; throws an {@link EnvError} saying what to set. */
export function parseEnv(example: string, vars: NodeJS.ProcessEnv = process.env): NeuronEnv {
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
  const env: NeuronEnv = { gatewayUrl, neuronId, auth: tokenSource(vars) };
  const inspectUrl = vars.BIGBRAIN_INSPECT_URL?.trim();
  if (!inspectUrl) return env;
  if (!/^wss?:\/\//.test(inspectUrl) || !URL.canParse(inspectUrl)) {
    throw new EnvError(
      `BIGBRAIN_INSPECT_URL must be a ws:// URL (\`npx neuron dev --inspect\` prints one), got ${JSON.stringify(inspectUrl)}`,
    );
  }
  return { ...env, inspect: createWebSocketInspector({ url: inspectUrl }).inspect };
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

function tokenSource(vars: NodeJS.ProcessEnv): NeuronEnv['auth'] {
  const token = vars.BIGBRAIN_TOKEN?.trim();
  const file = vars.BIGBRAIN_TOKEN_FILE?.trim();
  if (token && file) {
    throw new EnvError('set BIGBRAIN_TOKEN or BIGBRAIN_TOKEN_FILE, not both');
  }
  if (token) return () => token;
  if (!file) {
    throw new EnvError(
      'BIGBRAIN_TOKEN is not set: set it to the bearer token, or BIGBRAIN_TOKEN_FILE to a file holding it',
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
