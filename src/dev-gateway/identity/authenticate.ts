/**
 * Who sent a neuron request. Without an identity provider, as the gateway always did: the
 * `token` / `acceptToken` options, or no check at all. With one, AUTH.md §5: a bearer JWT the
 * provider verifies, or the static dev token (`token`, `acceptToken`) as a `service` identity;
 * anything else is `401` with `WWW-Authenticate: Bearer error="invalid_token"`.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayErrorCode } from '../../protocol/frames.js';
import { type Answer, bearerToken, errorAnswer } from '../http.js';
import type { IdentityProvider } from './provider.js';
import type { TokenIdentity } from './types.js';

export type AuthResult = { identity?: TokenIdentity } | { refused: Answer };

/** The identity of the static dev token: a service, so `core/*` is open to quick starts. */
export const STATIC_IDENTITY: TokenIdentity = { kind: 'service', sub: 'dev-token', via: 'static' };

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export async function authenticate(
  req: IncomingMessage,
  acceptToken: ((token: string) => boolean) | undefined,
  idp: IdentityProvider | undefined,
): Promise<AuthResult> {
  const token = bearerToken(req);
  if (!idp) {
    if (!acceptToken || (token !== undefined && acceptToken(token))) return {};
    const message = token === undefined ? 'no bearer token' : 'the bearer token was rejected';
    return {
      refused: errorAnswer(401, GatewayErrorCode.UNAUTHORIZED, message, {
        'WWW-Authenticate': 'Bearer',
      }),
    };
  }
  if (token === undefined) return { refused: invalidToken('no bearer token') };
  // A JWT first: under `--no-auth` (accept anything) an enrolled neuron keeps its own identity.
  const verified = JWT_SHAPE.test(token) ? await idp.identify(token) : undefined;
  if (verified && !('problem' in verified)) return { identity: verified };
  if (acceptToken?.(token)) return { identity: STATIC_IDENTITY };
  return { refused: invalidToken(verified?.problem ?? 'the bearer token was rejected') };
}

/** RFC 6750 §3: the challenge names the error; the description says which check failed. */
function invalidToken(why: string): Answer {
  const description = why.replace(/["\\]/g, "'");
  return errorAnswer(401, GatewayErrorCode.UNAUTHORIZED, why, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
  });
}
