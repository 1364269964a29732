/**
 * The provider's HTTP endpoints under `{gatewayUrl}/moku`: RFC 8414 metadata, RFC 8628 device
 * authorization, the token endpoint (device_code and client_credentials grants), RFC 7591
 * registration and the JWKS. Errors are RFC 6749 §5.2 JSON (`{ error, error_description }`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Answer, bearerToken, send } from '../http.js';
import {
  basicCredentials,
  invalidClient,
  NO_STORE,
  nameHint,
  oauthError,
  readForm,
  readJsonObject,
  splitHint,
} from './oauth-http.js';
import { AUDIENCE, ENROLL_SCOPE, ENROLLMENT_CLIENT_ID, ISSUER_PATH, seconds } from './options.js';
import type { IdentityProvider } from './provider.js';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const METADATA = '/.well-known/oauth-authorization-server';

type Endpoint = (idp: IdentityProvider, req: IncomingMessage) => Answer | Promise<Answer>;

const ENDPOINTS = new Map<string, { method: 'GET' | 'POST'; handle: Endpoint }>([
  // AUTH.md §1 appends the well-known path to mokuUrl; RFC 8414 §3 inserts it before the
  // issuer's path. Both are served.
  [`${ISSUER_PATH}${METADATA}`, { method: 'GET', handle: (idp) => json(200, idp.metadata()) }],
  [`${METADATA}${ISSUER_PATH}`, { method: 'GET', handle: (idp) => json(200, idp.metadata()) }],
  [`${ISSUER_PATH}/jwks`, { method: 'GET', handle: (idp) => json(200, idp.key.jwks()) }],
  [`${ISSUER_PATH}/device_authorization`, { method: 'POST', handle: deviceAuthorization }],
  [`${ISSUER_PATH}/token`, { method: 'POST', handle: token }],
  [`${ISSUER_PATH}/register`, { method: 'POST', handle: register }],
]);

/** Every path the provider answers (the unknown ones under `/moku` with a 404 of its own). */
export const OAUTH_PATHS = {
  has: (pathname: string): boolean =>
    ENDPOINTS.has(pathname) || pathname === ISSUER_PATH || pathname.startsWith(`${ISSUER_PATH}/`),
};

export async function handleOAuth(
  idp: IdentityProvider,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const endpoint = ENDPOINTS.get(url.pathname);
  if (!endpoint) {
    const known = [...ENDPOINTS.keys()].filter((path) => path.startsWith(ISSUER_PATH)).join(', ');
    return send(res, oauthError(404, 'not_found', `no endpoint ${url.pathname}; see ${known}`));
  }
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (method !== endpoint.method) {
    const answer = oauthError(405, 'invalid_request', `${url.pathname} takes ${endpoint.method}`, {
      Allow: endpoint.method,
    });
    return send(res, answer);
  }
  send(res, await endpoint.handle(idp, req));
}

/** RFC 8628 §3.1–3.2, with AUTH.md's `client_name` and `capabilities` display hints. */
async function deviceAuthorization(idp: IdentityProvider, req: IncomingMessage): Promise<Answer> {
  const form = await readForm(req);
  if ('answer' in form) return form.answer;
  const params = form.value;
  const clientId = params.get('client_id');
  if (clientId !== ENROLLMENT_CLIENT_ID) {
    return invalidClient(
      `the device flow is for client_id=${ENROLLMENT_CLIENT_ID}, got ${clientId ?? 'none'}`,
    );
  }
  const scopes = (params.get('scope') ?? ENROLL_SCOPE).split(' ').filter(Boolean);
  if (scopes.some((scope) => scope !== ENROLL_SCOPE)) {
    return oauthError(400, 'invalid_scope', `the only scope here is ${ENROLL_SCOPE}`);
  }
  const clientName = nameHint(params.get('client_name'));
  const code = idp.devices.authorize({
    ...(clientName !== undefined && { clientName }),
    capabilities: splitHint(params.get('capabilities')),
  });
  const { verificationUriComplete } = idp.devices.info(code);
  return json(200, {
    device_code: code.deviceCode,
    user_code: code.userCode,
    verification_uri: idp.verificationUri,
    verification_uri_complete: verificationUriComplete,
    expires_in: seconds(idp.options.deviceCodeTtlMs),
    interval: seconds(idp.options.pollIntervalMs),
  });
}

async function token(idp: IdentityProvider, req: IncomingMessage): Promise<Answer> {
  const form = await readForm(req);
  if ('answer' in form) return form.answer;
  const grant = form.value.get('grant_type');
  if (grant === DEVICE_CODE_GRANT) return deviceCodeGrant(idp, form.value);
  if (grant === 'client_credentials') return clientCredentialsGrant(idp, req, form.value);
  if (grant === null) return oauthError(400, 'invalid_request', 'grant_type is required');
  const supported = `${DEVICE_CODE_GRANT} and client_credentials`;
  return oauthError(400, 'unsupported_grant_type', `${grant} is not supported; only ${supported}`);
}

/** RFC 8628 §3.4–3.5: the public enrollment client polls with its device code. */
function deviceCodeGrant(idp: IdentityProvider, params: URLSearchParams): Answer {
  const clientId = params.get('client_id');
  if (clientId !== ENROLLMENT_CLIENT_ID) {
    return invalidClient(`device codes are polled with client_id=${ENROLLMENT_CLIENT_ID}`);
  }
  const deviceCode = params.get('device_code');
  if (!deviceCode) return oauthError(400, 'invalid_request', 'device_code is required');
  const result = idp.devices.poll(deviceCode);
  if ('token' in result) {
    return json(200, {
      access_token: result.token.token,
      token_type: 'Bearer',
      expires_in: seconds(result.token.expiresAt - Date.now()),
      scope: ENROLL_SCOPE,
    });
  }
  return oauthError(400, result.error, 'description' in result ? result.description : undefined);
}

/** RFC 6749 §4.4 with `client_secret_basic` and AUTH.md's `audience`. */
async function clientCredentialsGrant(
  idp: IdentityProvider,
  req: IncomingMessage,
  params: URLSearchParams,
): Promise<Answer> {
  const credentials = basicCredentials(req);
  if (!credentials) {
    const how = params.has('client_secret') ? ' (client_secret_post is not supported)' : '';
    return invalidClient(`authenticate with HTTP Basic: client_secret_basic${how}`);
  }
  const client = idp.clientBook.authenticate(credentials.clientId, credentials.secret);
  if ('problem' in client) return invalidClient(`${client.problem}; re-enroll the neuron`);
  const audience = params.get('audience') ?? AUDIENCE;
  if (audience !== AUDIENCE) {
    return oauthError(400, 'invalid_target', `tokens are only minted for audience ${AUDIENCE}`);
  }
  const minted = await idp.mintFor(client);
  return json(200, {
    access_token: minted.token,
    token_type: 'Bearer',
    expires_in: minted.expiresIn,
  });
}

/** RFC 7591 §3, the device flow's access token as the (single-use) initial access token. */
async function register(idp: IdentityProvider, req: IncomingMessage): Promise<Answer> {
  const presented = bearerToken(req);
  const iat = presented === undefined ? undefined : idp.devices.initialAccessToken(presented);
  if (!iat) {
    const why =
      presented === undefined
        ? 'send the device flow access token as Authorization: Bearer'
        : 'the initial access token is unknown, expired or used already; enroll again';
    return oauthError(401, 'invalid_token', why, {
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${why}"`,
    });
  }
  const body = await readJsonObject(req);
  if ('answer' in body) return body.answer;
  const metadata = body.value;
  const problem = metadataProblem(metadata);
  if (problem) return oauthError(400, 'invalid_client_metadata', problem);
  // Spent before the await: two registrations racing with one token cannot both succeed.
  idp.devices.consume(iat);
  const clientName = nameHint(metadata.client_name) ?? iat.clientName;
  const capabilities = Array.isArray(metadata.capabilities)
    ? splitHint((metadata.capabilities as string[]).join(','))
    : iat.capabilities;
  const { client, secret } = await idp.clientBook.register({
    ...(clientName !== undefined && { clientName }),
    capabilities,
    ...(idp.options.orgId !== undefined && { orgId: idp.options.orgId }),
  });
  idp.registered(client);
  return json(201, {
    client_id: client.clientId,
    client_secret: secret,
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    client_secret_expires_at: 0,
    ...(client.clientName !== undefined && { client_name: client.clientName }),
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    capabilities: client.capabilities,
  });
}

function metadataProblem(metadata: Record<string, unknown>): string | undefined {
  const { grant_types: grants, token_endpoint_auth_method: method, capabilities } = metadata;
  if (
    grants !== undefined &&
    !(Array.isArray(grants) && grants.length === 1 && grants[0] === 'client_credentials')
  ) {
    return 'grant_types must be ["client_credentials"]';
  }
  if (method !== undefined && method !== 'client_secret_basic') {
    return 'token_endpoint_auth_method must be client_secret_basic';
  }
  if (
    capabilities !== undefined &&
    !(Array.isArray(capabilities) && capabilities.every((c) => typeof c === 'string'))
  ) {
    return 'capabilities must be an array of capability types (strings)';
  }
  if (metadata.client_name !== undefined && typeof metadata.client_name !== 'string') {
    return 'client_name must be a string';
  }
  return undefined;
}

function json(status: number, body: unknown): Answer {
  return { status, body, headers: NO_STORE };
}
