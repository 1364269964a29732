/**
 * A bare OAuth client for the dev gateway's identity provider, over node:http (no pool): the
 * requests `neuron enroll` and `createClientCredentialsAuth` make, one call each, so tests read
 * like AUTH.md. Not `src/auth`: that is the SDK's own client, tested on its own.
 */
import type { DevGateway } from '../../src/dev-gateway/index.js';
import { type JsonAnswer, requestJson } from '../dev-gateway/sse-client.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The identity provider of `gw`, which must have been started with `identity`. */
export function idpOf(gw: DevGateway) {
  const identity = gw.identity;
  if (!identity) throw new Error('start the gateway with { identity: true }');
  return identity;
}

/** POSTs `params` form-encoded to `{issuer}{path}`. */
export function postForm(
  gw: DevGateway,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return requestJson('POST', `${idpOf(gw).issuer}${path}`, new URLSearchParams(params).toString(), {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
    ...headers,
  });
}

/** RFC 6749 §2.3.1: each part form-encoded, then `id:secret` in base64. */
export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  const pair = `${encode(clientId)}:${encode(secret)}`;
  return { Authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** AUTH.md §2 step 1. */
export async function authorizeDevice(
  gw: DevGateway,
  hints: { name?: string; capabilities?: string[] } = {},
): Promise<DeviceAuthorization> {
  const answer = await postForm(gw, '/device_authorization', {
    client_id: 'neuron-enrollment',
    scope: 'neuron:enroll',
    ...(hints.name !== undefined && { client_name: hints.name }),
    ...(hints.capabilities && { capabilities: hints.capabilities.join(',') }),
  });
  if (answer.status !== 200) throw new Error(`device_authorization answered ${answer.status}`);
  return answer.json as DeviceAuthorization;
}

/** AUTH.md §2 step 3: one poll. */
export function pollDeviceCode(gw: DevGateway, deviceCode: string): Promise<JsonAnswer> {
  return postForm(gw, '/token', {
    grant_type: DEVICE_CODE_GRANT,
    device_code: deviceCode,
    client_id: 'neuron-enrollment',
  });
}

/** AUTH.md §2 step 4. */
export function registerClient(
  gw: DevGateway,
  initialAccessToken: string | undefined,
  metadata: Record<string, unknown> = {
    client_name: 'test-neuron',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    capabilities: ['examples/echo'],
  },
): Promise<JsonAnswer> {
  return requestJson('POST', `${idpOf(gw).issuer}/register`, JSON.stringify(metadata), {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    ...(initialAccessToken !== undefined && { Authorization: `Bearer ${initialAccessToken}` }),
  });
}

export interface Credential {
  clientId: string;
  clientSecret: string;
}

/** The whole enrollment: device code, approval (unless the gateway auto-approves), registration. */
export async function enroll(
  gw: DevGateway,
  hints: { name?: string; capabilities?: string[] } = {},
): Promise<Credential> {
  const device = await authorizeDevice(gw, hints);
  const idp = idpOf(gw);
  if (idp.pendingDeviceCodes().some((code) => code.userCode === device.user_code)) {
    idp.approve(device.user_code);
  }
  const polled = await pollDeviceCode(gw, device.device_code);
  if (polled.status !== 200) throw new Error(`poll answered ${JSON.stringify(polled.json)}`);
  const { access_token } = polled.json as { access_token: string };
  const registered = await registerClient(gw, access_token, {
    client_name: hints.name ?? 'test-neuron',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    capabilities: hints.capabilities ?? [],
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const { client_id, client_secret } = registered.json as Record<string, string>;
  return { clientId: client_id!, clientSecret: client_secret! };
}

/** AUTH.md §4: the client_credentials request. */
export function requestToken(
  gw: DevGateway,
  credential: Credential,
  params: Record<string, string> = { audience: 'bigbrain' },
): Promise<JsonAnswer> {
  return postForm(
    gw,
    '/token',
    { grant_type: 'client_credentials', ...params },
    basic(credential.clientId, credential.clientSecret),
  );
}

/** A minted access token, or a thrown error saying what the token endpoint answered. */
export async function mint(gw: DevGateway, credential: Credential): Promise<string> {
  const answer = await requestToken(gw, credential);
  if (answer.status !== 200) throw new Error(`token answered ${JSON.stringify(answer.json)}`);
  return (answer.json as { access_token: string }).access_token;
}
