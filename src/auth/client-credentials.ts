/**
 * AUTH.md §4, tokens: the client-credentials grant (RFC 6749 §4.4) with `audience`, authenticated
 * with `client_secret_basic`; the token cached, refreshed ahead of time, one request at a time; a
 * rotated secret picked up on `invalid_client`, a revoked one reported as `CredentialRevokedError`.
 */
import { decodeJwt } from 'jose';
import {
  allowInsecureRequests,
  ClientSecretBasic,
  Configuration,
  clientCredentialsGrant,
} from 'openid-client';
import { ConfigError } from '../errors.js';
import type { AuthRequest } from '../transport/types.js';
import {
  type CredentialFile,
  defaultCredentialPath,
  readCredentialFile,
  readCredentialFileSync,
} from './credential-file.js';
import { CredentialFileError, CredentialRevokedError, TokenRequestError } from './errors.js';
import {
  type FailureSummary,
  isInvalidClient,
  isTransientStatus,
  safeCause,
  summarize,
} from './failure.js';
import { isLoopbackHttp, showUrl } from './url.js';

export interface ClientCredentialsAuthOptions {
  /** How long one token request may take, in ms. @default 10_000 (the transport's request timeout) */
  timeoutMs?: number;
}

interface CachedToken {
  value: string;
  /** Epoch ms: "Cache the token until `expires_in`". */
  expiresAt: number;
  /** Epoch ms: from then on, callers still get `value` while a new token is fetched. */
  refreshAt: number;
}

/** "at 80 % of its lifetime, or 60 s before it expires, whichever comes first" */
const REFRESH_AT_FRACTION = 0.8;
const REFRESH_BEFORE_EXPIRY_MS = 60_000;
/**
 * Our addition: never before half the lifetime. For a token living under two minutes, "60 s before
 * it expires" comes at or near issue, which would mean a new token request on every call.
 */
const REFRESH_NOT_BEFORE_FRACTION = 0.5;
/** After a failed early refresh, the still-valid token is served this long before trying again. */
const EARLY_REFRESH_RETRY_MS = 5_000;

/**
 * An `AuthCallback` minting `aud=bigbrain` tokens from the credential file at `path`
 * (@default `defaultCredentialPath()`).
 *
 * Reads the file at once, so that a missing or unusable file stops the process at start-up (the
 * fleet guide's fail-fast posture): throws `CredentialRevokedError` when there is no file,
 * `CredentialFileError` when it cannot be used. The callback rejects with `CredentialRevokedError`
 * (terminal: enroll again), `CredentialFileError`, or `TokenRequestError` (`transient` for 429,
 * 5xx, network errors and timeouts).
 */
export function createClientCredentialsAuth(
  path: string = defaultCredentialPath(),
  options: ClientCredentialsAuthOptions = {},
): (request?: AuthRequest) => Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new ConfigError(
      'NEURON_ERR_INVALID_OPTIONS',
      'createClientCredentialsAuth: timeoutMs must be a positive number of milliseconds',
    );
  }
  let credential: CredentialFile;
  try {
    credential = readCredentialFileSync(path);
  } catch (err) {
    throw missingAsRevoked(path, err);
  }
  let client = clientFor(credential, timeoutMs);
  let cached: CachedToken | undefined;
  let inflight: Promise<CachedToken> | undefined;
  /** Set by `invalid_client`: "Each later call re-reads the file before it tries again". */
  let rereadFirst = false;
  let earlyRefreshAfter = 0;

  /** Replaces the credential with the file's; true when its client id or secret changed. */
  async function reread(): Promise<boolean> {
    let fresh: CredentialFile;
    try {
      fresh = await readCredentialFile(path);
    } catch (err) {
      throw missingAsRevoked(path, err);
    }
    const changed =
      fresh.client_id !== credential.client_id || fresh.client_secret !== credential.client_secret;
    credential = fresh;
    client = clientFor(fresh, timeoutMs);
    return changed;
  }

  async function mint(): Promise<CachedToken> {
    let alreadyReread = false;
    if (rereadFirst) {
      await reread();
      alreadyReread = true;
    }
    for (;;) {
      const startedAt = Date.now();
      try {
        const answer = await clientCredentialsGrant(client, { audience: credential.audience });
        rereadFirst = false;
        cached = remember(answer.access_token, answer.expires_in, startedAt);
        return cached;
      } catch (err) {
        const summary = summarize(err, [credential.client_secret]);
        if (!isInvalidClient(summary)) throw tokenRequestError(credential, summary);
        cached = undefined;
        rereadFirst = true;
        // "invalid_client: re-read the credential file once; if its secret changed, retry with it
        // at once (an operator rotated it). If it did not change, or the file is gone →
        // CredentialRevokedError."
        if (alreadyReread || !(await reread())) throw revoked(path, credential, summary);
        alreadyReread = true;
      }
    }
  }

  /** Single flight: "Concurrent calls share one request". */
  function fetchToken(): Promise<CachedToken> {
    inflight ??= mint().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  return async function clientCredentialsAuth(request?: AuthRequest): Promise<string> {
    const now = Date.now();
    // The gateway refused the token we gave (a revoked client's tokens are refused before they
    // expire): ask Moku again, whose `invalid_client` then tells a revocation from a rotation.
    if (request?.rejected && cached && !inflight) cached = undefined;
    if (cached && now < cached.expiresAt) {
      // "refresh it ahead of time […] while callers keep getting the still-valid token"
      if (now >= cached.refreshAt && now >= earlyRefreshAfter && !inflight) {
        fetchToken().catch(() => {
          earlyRefreshAfter = Date.now() + EARLY_REFRESH_RETRY_MS;
        });
      }
      return cached.value;
    }
    return (await fetchToken()).value;
  };
}

function remember(value: string, expiresIn: number | undefined, startedAt: number): CachedToken {
  // Counted from before the request: the token is never thought to live longer than it does.
  let lifetimeMs =
    typeof expiresIn === 'number' ? expiresIn * 1000 : lifetimeFromJwt(value, startedAt);
  if (!(lifetimeMs > 0)) lifetimeMs = 0; // not cached: every call asks for a token
  const refreshAfterMs = Math.max(
    lifetimeMs * REFRESH_NOT_BEFORE_FRACTION,
    Math.min(lifetimeMs * REFRESH_AT_FRACTION, lifetimeMs - REFRESH_BEFORE_EXPIRY_MS),
  );
  return { value, expiresAt: startedAt + lifetimeMs, refreshAt: startedAt + refreshAfterMs };
}

/** No `expires_in` (it is only RECOMMENDED): a JWT's own `exp`, if the token is one. */
function lifetimeFromJwt(token: string, startedAt: number): number {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 - startedAt : 0;
  } catch {
    return 0;
  }
}

function clientFor(credential: CredentialFile, timeoutMs: number): Configuration {
  const config = new Configuration(
    { issuer: credential.issuer, token_endpoint: credential.token_endpoint },
    credential.client_id,
    undefined,
    ClientSecretBasic(credential.client_secret),
  );
  config.timeout = timeoutMs / 1000;
  // The file reader accepted plain HTTP for a loopback token endpoint only.
  if (isLoopbackHttp(new URL(credential.token_endpoint))) allowInsecureRequests(config);
  return config;
}

function missingAsRevoked(path: string, err: unknown): unknown {
  // The troubleshooting table: "CredentialRevokedError: […] (or the credential file is missing)".
  if (err instanceof CredentialFileError && err.reason === 'missing') {
    return new CredentialRevokedError(path, err.message);
  }
  return err;
}

function revoked(
  path: string,
  credential: CredentialFile,
  summary: FailureSummary,
): CredentialRevokedError {
  return new CredentialRevokedError(
    path,
    `Moku rejected client ${credential.client_id} (${summary.text}) with the secret in ${path}: ` +
      'the credential was revoked. Enroll this machine again, or install the rotated credential file',
    { cause: safeCause(summary) },
  );
}

function tokenRequestError(credential: CredentialFile, summary: FailureSummary): TokenRequestError {
  const endpoint = showUrl(credential.token_endpoint);
  const transient =
    summary.kind === 'network' ||
    summary.kind === 'timeout' ||
    (summary.status !== undefined && isTransientStatus(summary.status));
  const message = transient
    ? `no token from ${endpoint} (${summary.text}): a transient failure, the neuron will retry`
    : `Moku refused a token for client ${credential.client_id} at ${endpoint} (${summary.text}): ` +
      'check the credential file (audience, token_endpoint), or enroll again';
  return new TokenRequestError(
    message,
    { transient, status: summary.status, oauthError: summary.oauthError },
    safeCause(summary),
  );
}
