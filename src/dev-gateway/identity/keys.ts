/**
 * The provider's signing key: made at start (ES256 unless told), kept in the state folder when
 * there is one, published at `jwks_uri`, and used by the gateway to verify every bearer JWT
 * (AUTH.md §5) through jose's local JWKS, exactly as a resource server reads a remote one.
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { AUDIENCE, CLOCK_TOLERANCE_S } from './options.js';
import type { StateDir } from './state.js';

export const KEY_FILE = 'signing-key.json';
type Algorithm = 'ES256' | 'RS256';
/** AUTH.md §5: the algorithms the gateway accepts. */
const ACCEPTED_ALGORITHMS = ['ES256', 'RS256'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

interface StoredKey {
  version: 1;
  alg: Algorithm;
  kid: string;
  privateJwk: JWK;
  createdAt: string;
}

/** What a token says besides the registered claims the verifier checked. */
export type VerifiedClaims = JWTPayload & { kind?: unknown; org_id?: unknown; scope?: unknown };

export class SigningKey {
  readonly alg: Algorithm;
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly #privateKey: CryptoKey;
  readonly #keySet: ReturnType<typeof createLocalJWKSet>;

  private constructor(stored: StoredKey, privateKey: CryptoKey) {
    this.alg = stored.alg;
    this.kid = stored.kid;
    this.publicJwk = {
      ...publicPart(stored.privateJwk),
      kid: stored.kid,
      alg: stored.alg,
      use: 'sig',
    };
    this.#privateKey = privateKey;
    this.#keySet = createLocalJWKSet({ keys: [this.publicJwk] });
  }

  /** The key kept in `state` (one of `alg` is made and kept if there is none), else a new one. */
  static async load(state: StateDir | undefined, alg: Algorithm): Promise<SigningKey> {
    const kept = await state?.read<StoredKey>(KEY_FILE);
    const stored = kept?.alg === alg ? kept : await keep(state, kept, await makeKey(alg));
    const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
    return new SigningKey(stored, privateKey);
  }

  /** The JWKS document of `jwks_uri`. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** Signs an access token (RFC 9068 `typ: at+jwt`); times in seconds from now. */
  sign(
    claims: Record<string, unknown>,
    options: { issuer: string; audience: string | string[]; expiresIn: number; notBefore?: number },
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: 'at+jwt' })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt(now)
      .setNotBefore(now + (options.notBefore ?? 0))
      .setExpirationTime(now + options.expiresIn)
      .sign(this.#privateKey);
  }

  /**
   * AUTH.md §5: signed by a key of the issuer's JWKS (ES256 or RS256), `iss` = the issuer, `aud`
   * includes `bigbrain`, `exp` (required) and `nbf` with 60 s of leeway, and a `sub`. Throws a
   * `TokenRejected` that says which check failed (never quoting the token).
   */
  async verify(token: string, issuer: string): Promise<VerifiedClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#keySet, {
        issuer,
        audience: AUDIENCE,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (err) {
      throw new TokenRejected(reasonOf(err, issuer));
    }
  }
}

/** A bearer token the gateway refuses; `message` says why, for the 401's description. */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

/**
 * Puts a new key in the folder: over a key of the other algorithm, or, when there is none, only
 * if no other gateway sharing the folder has just put one there (then that one is used).
 */
async function keep(
  state: StateDir | undefined,
  replaced: StoredKey | undefined,
  made: StoredKey,
): Promise<StoredKey> {
  if (!state) return made;
  if (!replaced) return state.createIfAbsent(KEY_FILE, made);
  await state.write(KEY_FILE, made);
  return made;
}

async function makeKey(alg: Algorithm): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart(privateJwk));
  return { version: 1, alg, kid, privateJwk, createdAt: new Date().toISOString() };
}

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of [...PRIVATE_MEMBERS, 'key_ops', 'ext']) delete copy[member];
  return copy as JWK;
}

function reasonOf(err: unknown, issuer: string): string {
  const { code, claim } = err as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return `the token expired more than ${CLOCK_TOLERANCE_S} s ago; get a fresh one`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return `the token's aud does not include ${AUDIENCE}`;
      if (claim === 'iss') return `the token's iss is not ${issuer}`;
      if (claim === 'nbf') return 'the token is not valid yet (nbf)';
      return `the token's ${claim ?? 'claims'} claim is missing or invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `the token is not signed by a key of ${issuer}'s JWKS`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `the token's algorithm is not one of ${ACCEPTED_ALGORITHMS.join(', ')}`;
    default:
      return 'the bearer token is not a valid JWT';
  }
}
