/** Option and argument helpers shared by the commands: numbers, capability types, the gateway URL. */
import { InvalidArgumentError, Option } from 'commander';
import { assertCapabilityType } from '../capability/capability-type.js';
import { usage } from './errors.js';
import type { CliIo } from './io.js';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:7777';

/** A commander argument parser for an integer in `min..max`. */
export function integer(what: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      throw new InvalidArgumentError(`${what} must be an integer ${range}`);
    }
    return n;
  };
}

/** A `<capabilityType>` argument, checked: a malformed one is a usage error (exit 2). */
export function checkCapabilityType(value: string): void {
  try {
    assertCapabilityType(value);
  } catch (err) {
    throw usage((err as Error).message);
  }
}

/** `--gateway <url>`, for the commands that talk to a running `neuron dev`. */
export function gatewayOption(): Option {
  return new Option(
    '--gateway <url>',
    `the dev gateway (default: $BIGBRAIN_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})`,
  );
}

/** `--gateway`, else `BIGBRAIN_GATEWAY_URL`, else the default; checked, without a trailing `/`. */
export function resolveGatewayUrl(io: CliIo, option: string | undefined): string {
  const [value, from] =
    option !== undefined
      ? [option, '--gateway']
      : io.env.BIGBRAIN_GATEWAY_URL
        ? [io.env.BIGBRAIN_GATEWAY_URL, 'BIGBRAIN_GATEWAY_URL']
        : [DEFAULT_GATEWAY_URL, 'the default'];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${from} is not a URL: '${value}'; use e.g. ${DEFAULT_GATEWAY_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage(`${from} must be an http(s) URL, got '${value}'; use e.g. ${DEFAULT_GATEWAY_URL}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
