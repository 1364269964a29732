import { ConfigError } from '../../errors.js';
import type { IdentityOptions } from './types.js';

/** The path of the issuer under the gateway's URL: `{gatewayUrl}/moku`. */
export const ISSUER_PATH = '/moku';
/** The audience of every token minted for the gateway (AUTH.md: `aud` = `bigbrain`). */
export const AUDIENCE = 'bigbrain';
/** The public client that runs the device flow (AUTH.md §2). */
export const ENROLLMENT_CLIENT_ID = 'neuron-enrollment';
export const ENROLL_SCOPE = 'neuron:enroll';
/** AUTH.md §5: `exp` and `nbf` with 60 s of leeway. */
export const CLOCK_TOLERANCE_S = 60;

export type ResolvedIdentityOptions = Required<Omit<IdentityOptions, 'orgId'>> & {
  orgId: string | undefined;
};

/** Applies the defaults; throws `ConfigError` on a bad option. `true` means every default. */
export function resolveIdentityOptions(
  options: boolean | IdentityOptions | undefined,
): ResolvedIdentityOptions | undefined {
  if (options === undefined || options === false) return undefined;
  const given = options === true ? {} : options;
  const resolved: ResolvedIdentityOptions = {
    tokenTtlMs: given.tokenTtlMs ?? 300_000,
    deviceCodeTtlMs: given.deviceCodeTtlMs ?? 600_000,
    pollIntervalMs: given.pollIntervalMs ?? 5_000,
    orgId: given.orgId,
    autoApprove: given.autoApprove ?? false,
    algorithm: given.algorithm ?? 'ES256',
  };
  for (const name of ['tokenTtlMs', 'deviceCodeTtlMs', 'pollIntervalMs'] as const) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < 1) {
      throw invalid(`${name} must be an integer >= 1, got ${String(value)}`);
    }
  }
  if (resolved.orgId !== undefined && (typeof resolved.orgId !== 'string' || !resolved.orgId)) {
    throw invalid('orgId must be a non-empty string (omit it for tokens without org_id)');
  }
  if (resolved.algorithm !== 'ES256' && resolved.algorithm !== 'RS256') {
    throw invalid(`algorithm must be 'ES256' or 'RS256', got ${String(resolved.algorithm)}`);
  }
  return resolved;
}

function invalid(message: string): ConfigError {
  return new ConfigError('NEURON_ERR_INVALID_OPTIONS', `dev gateway: identity.${message}`);
}

/** Milliseconds as the whole seconds the wire carries, rounded up. */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
