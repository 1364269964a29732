/**
 * AUTH.md §5's namespace table, checked on `register` (every capability) and
 * `update-capability`. A refusal says which claim fell short and what it was.
 */
import { GatewayErrorCode, type Scope } from '../../protocol/frames.js';
import type { Refusal } from '../options.js';
import type { TokenIdentity } from './types.js';

const { NAMESPACE_FORBIDDEN, SCOPE_FORBIDDEN } = GatewayErrorCode;

/**
 * | type                           | may be advertised by                         | else                  |
 * | `core/*`                       | `kind: "service"`                            | `NAMESPACE_FORBIDDEN` |
 * | `org/{orgId}/*`                | a token whose `org_id` is `{orgId}`          | `NAMESPACE_FORBIDDEN` |
 * | `user/{userId}/*`, `desktop/*` | `kind: "user"`, scope `{ onBehalfOf: sub }`  | `SCOPE_FORBIDDEN`     |
 * | anything else                  | any valid token (a dev gateway convenience)  | —                     |
 *
 * `scope` is `undefined` for an `update-capability` of a type not registered: only the token is
 * checked then. The `{userId}` segment itself is not compared with `sub` (AUTH.md asks for the
 * scope to match `sub`, and user ids such as `user:abc` cannot be capability-type segments).
 */
export function namespaceRefusal(
  identity: TokenIdentity,
  type: string,
  scope: Scope | undefined,
): Refusal | undefined {
  const [head, second] = type.split('/');
  const who = describe(identity);
  if (head === 'core') {
    if (identity.kind === 'service') return undefined;
    return {
      code: NAMESPACE_FORBIDDEN,
      message: `${type}: core/* may only be advertised by a service identity (kind "service"); this token's kind is "${identity.kind}" (${who})`,
    };
  }
  if (head === 'org') {
    if (identity.orgId !== undefined && identity.orgId === second) return undefined;
    const has = identity.orgId === undefined ? 'has no org_id' : `has org_id "${identity.orgId}"`;
    return {
      code: NAMESPACE_FORBIDDEN,
      message: `${type}: org/${second}/* needs a token whose org_id is "${second}"; this token ${has} (${who})`,
    };
  }
  if (head === 'user' || head === 'desktop') {
    const rule = `${head}/* needs a user token (kind "user") and scope { onBehalfOf: <the token's sub> }`;
    if (identity.kind !== 'user') {
      return {
        code: SCOPE_FORBIDDEN,
        message: `${type}: ${rule}; this token's kind is "${identity.kind}" (${who})`,
      };
    }
    if (scope === undefined || (scope !== 'any' && scope.onBehalfOf === identity.sub)) {
      return undefined;
    }
    const given = scope === 'any' ? '"any"' : `{ onBehalfOf: "${scope.onBehalfOf}" }`;
    return {
      code: SCOPE_FORBIDDEN,
      message: `${type}: ${rule}; the scope is ${given}, the token's sub is "${identity.sub}"`,
    };
  }
  return undefined;
}

/** The first refusal among a registration's capabilities, noting how many others were refused. */
export function registrationRefusal(
  identity: TokenIdentity,
  capabilities: ReadonlyArray<{ type: string; scope: Scope }>,
): Refusal | undefined {
  const refusals = capabilities
    .map((cap) => namespaceRefusal(identity, cap.type, cap.scope))
    .filter((refusal): refusal is Refusal => refusal !== undefined);
  const first = refusals[0];
  if (!first) return undefined;
  const more = refusals.length - 1;
  return more === 0
    ? first
    : { code: first.code, message: `${first.message} (and ${more} more capabilities refused)` };
}

function describe(identity: TokenIdentity): string {
  return identity.via === 'static' ? 'the static dev token' : `sub "${identity.sub}"`;
}
