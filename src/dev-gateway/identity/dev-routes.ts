/**
 * `/__dev__/identity/…`: the operator's side of enrollment, for `neuron approve`, `neuron
 * clients`, `neuron revoke-client` and the dashboard's Identity panel. Like the rest of the dev
 * API: JSON, no authentication (the gateway binds loopback), errors `{ error: { code, message } }`.
 */
import type { DevRoute } from '../dev-api.js';
import { type Answer, errorAnswer } from '../http.js';
import { normalize } from './device.js';
import type { IdentityProvider } from './provider.js';

export function identityRoutes(idp: IdentityProvider | undefined): DevRoute[] {
  const routes: DevRoute[] = [
    { method: 'GET', pattern: /^\/identity\/?$/, handle: () => (idp ? ok(info(idp)) : disabled()) },
    {
      method: 'GET',
      pattern: /^\/identity\/device-codes\/?$/,
      handle: () => (idp ? ok(idp.pendingDeviceCodes()) : disabled()),
    },
    {
      method: 'POST',
      pattern: /^\/identity\/device-codes\/([^/]+)\/(approve|deny)\/?$/,
      handle: ([userCode, action], body) => {
        if (!idp) return disabled();
        const problem = emptyObjectProblem(body);
        if (problem) return errorAnswer(400, 'INVALID_REQUEST', problem);
        const result = idp.devices.decide(userCode!, action === 'approve' ? 'approved' : 'denied');
        if (!('problem' in result)) return ok(result.code);
        if (result.problem === 'decided') {
          const message = `user code ${result.code!.userCode} is ${result.code!.status} already`;
          return errorAnswer(409, 'DEVICE_CODE_DECIDED', message);
        }
        const pending = idp.pendingDeviceCodes().map((code) => code.userCode);
        const message = `no pending user code ${normalizedForm(userCode!)} (unknown or expired); pending: ${pending.join(', ') || 'none'}`;
        return errorAnswer(404, 'USER_CODE_NOT_FOUND', message);
      },
    },
    {
      method: 'GET',
      pattern: /^\/identity\/clients\/?$/,
      handle: () => (idp ? ok(idp.clients()) : disabled()),
    },
    {
      method: 'POST',
      pattern: /^\/identity\/clients\/([^/]+)\/revoke\/?$/,
      handle: async ([clientId], body) => {
        if (!idp) return disabled();
        const problem = reasonProblem(body);
        if (problem) return errorAnswer(400, 'INVALID_REQUEST', problem);
        const client = idp.clientBook.get(clientId!);
        if (!client) {
          const known =
            idp
              .clients()
              .map((c) => c.clientId)
              .join(', ') || 'none';
          const message = `no client ${clientId}; enrolled: ${known}`;
          return errorAnswer(404, 'CLIENT_NOT_FOUND', message);
        }
        if (client.revokedAt !== undefined) {
          const message = `client ${clientId} was revoked already (${new Date(client.revokedAt).toISOString()})`;
          return errorAnswer(409, 'CLIENT_REVOKED', message);
        }
        const { reason } = body as { reason?: string };
        const { disconnected } = await idp.revokeClient(clientId!, reason);
        return ok({ revoked: clientId, disconnected });
      },
    },
  ];
  return routes;
}

function info(idp: IdentityProvider) {
  return {
    issuer: idp.issuer,
    metadataUrl: `${idp.issuer}/.well-known/oauth-authorization-server`,
    tokenEndpoint: idp.tokenEndpoint,
    jwksUri: idp.jwksUri,
    verificationUri: idp.verificationUri,
    autoApprove: idp.options.autoApprove,
    ...(idp.options.orgId !== undefined && { orgId: idp.options.orgId }),
  };
}

function disabled(): Answer {
  return errorAnswer(
    404,
    'IDENTITY_DISABLED',
    'this gateway runs without an identity provider; start it with `neuron dev`, or createDevGateway({ identity: true })',
  );
}

/** `WDJBMJHT` as `WDJB-MJHT`, however it was typed. */
function normalizedForm(userCode: string): string {
  const bare = normalize(userCode);
  return bare.length === 8 ? `${bare.slice(0, 4)}-${bare.slice(4)}` : userCode;
}

function emptyObjectProblem(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const keys = Object.keys(body);
    return keys.length === 0 ? undefined : `unknown field '${keys[0]}'; send an empty body`;
  }
  return 'the body must be a JSON object (or empty)';
}

function reasonProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'the body must be a JSON object, e.g. { "reason": "laptop lost" }';
  }
  const unknown = Object.keys(body).filter((key) => key !== 'reason');
  if (unknown.length > 0) return `unknown field '${unknown[0]}'; allowed: reason`;
  const { reason } = body as { reason?: unknown };
  if (reason !== undefined && (typeof reason !== 'string' || reason === '')) {
    return 'reason must be a non-empty string when present';
  }
  return undefined;
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}
