import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type IdentityOptions,
} from '../../src/dev-gateway/index.js';
import { requestJson } from '../dev-gateway/sse-client.js';
import {
  authorizeDevice,
  basic,
  enroll,
  idpOf,
  pollDeviceCode,
  postForm,
  registerClient,
  requestToken,
} from './oauth.js';

let gw: DevGateway;
async function start(identity: IdentityOptions = {}, extra = {}): Promise<DevGateway> {
  gw = await createDevGateway({ identity, ...extra });
  return gw;
}
afterEach(() => gw?.close());

const get = (url: string) => requestJson('GET', url, '');

describe('the identity provider metadata', () => {
  it('is served at {mokuUrl}/.well-known/oauth-authorization-server with issuer = mokuUrl', async () => {
    await start();
    const issuer = `${gw.url}/moku`;
    expect(idpOf(gw).issuer).toBe(issuer);
    const answer = await get(`${issuer}/.well-known/oauth-authorization-server`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      issuer,
      token_endpoint: `${issuer}/token`,
      device_authorization_endpoint: `${issuer}/device_authorization`,
      registration_endpoint: `${issuer}/register`,
      jwks_uri: `${issuer}/jwks`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      response_types_supported: [],
      scopes_supported: ['neuron:enroll'],
    });
  });

  it("is also at RFC 8414's well-known path inserted before the issuer's path", async () => {
    await start();
    const answer = await get(`${gw.url}/.well-known/oauth-authorization-server/moku`);
    expect(answer.json).toMatchObject({ issuer: `${gw.url}/moku` });
  });

  it('answers an unknown path under /moku with a 404 and a wrong method with a 405', async () => {
    await start();
    expect((await get(`${gw.url}/moku/authorize`)).status).toBe(404);
    const wrong = await requestJson('GET', `${gw.url}/moku/token`, '');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });

  it('is absent from a gateway without identity', async () => {
    gw = await createDevGateway();
    expect(gw.identity).toBeUndefined();
    const answer = await get(`${gw.url}/moku/.well-known/oauth-authorization-server`);
    expect(answer.status).toBe(404);
  });
});

describe('the device authorization endpoint', () => {
  it('issues a device code, a user code and the verification URIs', async () => {
    await start({ deviceCodeTtlMs: 90_000, pollIntervalMs: 2_000 });
    const device = await authorizeDevice(gw, {
      name: 'warehouse-connector',
      capabilities: ['org/acme/erp.read', 'org/acme/erp.write'],
    });
    expect(device).toEqual({
      device_code: expect.stringMatching(/^[\w-]{43}$/),
      user_code: expect.stringMatching(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/),
      verification_uri: `${gw.url}/device`,
      verification_uri_complete: `${gw.url}/device?user_code=${device.user_code}`,
      expires_in: 90,
      interval: 2,
    });
    expect(idpOf(gw).pendingDeviceCodes()).toEqual([
      expect.objectContaining({
        userCode: device.user_code,
        status: 'pending',
        clientName: 'warehouse-connector',
        capabilities: ['org/acme/erp.read', 'org/acme/erp.write'],
      }),
    ]);
  });

  it('refuses another client_id with invalid_client and another scope with invalid_scope', async () => {
    await start();
    const client = await postForm(gw, '/device_authorization', { client_id: 'someone' });
    expect(client.status).toBe(401);
    expect(client.json).toMatchObject({ error: 'invalid_client' });
    const scope = await postForm(gw, '/device_authorization', {
      client_id: 'neuron-enrollment',
      scope: 'openid',
    });
    expect(scope.status).toBe(400);
    expect(scope.json).toMatchObject({ error: 'invalid_scope' });
  });

  it('refuses a body that is not form-encoded', async () => {
    await start();
    const answer = await requestJson(
      'POST',
      `${gw.url}/moku/device_authorization`,
      JSON.stringify({ client_id: 'neuron-enrollment' }),
      { 'Content-Type': 'application/json' },
    );
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: 'invalid_request' });
  });
});

describe('the device code grant', () => {
  it('answers authorization_pending until approved, then the access token once', async () => {
    await start({ pollIntervalMs: 1 });
    const device = await authorizeDevice(gw, { name: 'n' });
    const pending = await pollDeviceCode(gw, device.device_code);
    expect(pending.status).toBe(400);
    expect(pending.json).toEqual({ error: 'authorization_pending' });
    expect(pending.headers['cache-control']).toBe('no-store');

    expect(idpOf(gw).approve(device.user_code.toLowerCase().replace('-', ''))).toMatchObject({
      status: 'approved',
    });
    const granted = await pollDeviceCode(gw, device.device_code);
    expect(granted.status).toBe(200);
    expect(granted.json).toEqual({
      access_token: expect.stringMatching(/^iat_/),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'neuron:enroll',
    });
    const again = await pollDeviceCode(gw, device.device_code);
    expect(again.json).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers slow_down to a poll sooner than the interval, and keeps doing so', async () => {
    await start({ pollIntervalMs: 10_000 });
    const device = await authorizeDevice(gw);
    expect((await pollDeviceCode(gw, device.device_code)).json).toEqual({
      error: 'authorization_pending',
    });
    expect((await pollDeviceCode(gw, device.device_code)).json).toEqual({ error: 'slow_down' });
    expect((await pollDeviceCode(gw, device.device_code)).json).toEqual({ error: 'slow_down' });
  });

  it('answers access_denied once denied', async () => {
    await start();
    const device = await authorizeDevice(gw);
    idpOf(gw).deny(device.user_code);
    const denied = await pollDeviceCode(gw, device.device_code);
    expect(denied.status).toBe(400);
    expect(denied.json).toEqual({ error: 'access_denied' });
  });

  it('answers expired_token once the device code has expired, and the code can no longer be approved', async () => {
    await start({ deviceCodeTtlMs: 30 });
    const device = await authorizeDevice(gw);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect((await pollDeviceCode(gw, device.device_code)).json).toEqual({
      error: 'expired_token',
    });
    expect(idpOf(gw).pendingDeviceCodes()).toEqual([]);
    expect(() => idpOf(gw).approve(device.user_code)).toThrow(/no pending user code/);
  });

  it('answers invalid_grant to an unknown device code and invalid_client without client_id', async () => {
    await start();
    expect((await pollDeviceCode(gw, 'nope')).json).toMatchObject({ error: 'invalid_grant' });
    const anonymous = await postForm(gw, '/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'x',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ error: 'invalid_client' });
  });

  it('hands out the token at the first poll under autoApprove', async () => {
    await start({ autoApprove: true });
    const device = await authorizeDevice(gw);
    expect(idpOf(gw).pendingDeviceCodes()).toEqual([]);
    expect((await pollDeviceCode(gw, device.device_code)).status).toBe(200);
  });
});

describe('dynamic client registration', () => {
  async function initialAccessToken(): Promise<string> {
    const device = await authorizeDevice(gw, { name: 'from-device', capabilities: ['a/b'] });
    idpOf(gw).approve(device.user_code);
    return ((await pollDeviceCode(gw, device.device_code)).json as { access_token: string })
      .access_token;
  }

  it('registers a client with the device flow token, and only once', async () => {
    await start({ orgId: 'acme' });
    const token = await initialAccessToken();
    const first = await registerClient(gw, token);
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      client_id: expect.stringMatching(/^nrn_[0-9A-HJKMNP-TV-Z]{26}$/),
      client_secret: expect.stringMatching(/^[\w-]{43}$/),
      client_id_issued_at: expect.any(Number),
      client_secret_expires_at: 0,
      client_name: 'test-neuron',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      capabilities: ['examples/echo'],
    });
    expect(idpOf(gw).clients()).toEqual([
      expect.objectContaining({
        clientId: (first.json as { client_id: string }).client_id,
        clientName: 'test-neuron',
        orgId: 'acme',
        neurons: [],
      }),
    ]);
    expect(JSON.stringify(idpOf(gw).clients())).not.toContain(
      (first.json as { client_secret: string }).client_secret,
    );

    const second = await registerClient(gw, token);
    expect(second.status).toBe(401);
    expect(second.json).toMatchObject({ error: 'invalid_token' });
    expect(second.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('takes the name and capabilities of the device request when the metadata has none', async () => {
    await start();
    const answer = await registerClient(gw, await initialAccessToken(), {});
    expect(answer.json).toMatchObject({ client_name: 'from-device', capabilities: ['a/b'] });
  });

  it('refuses a missing or unknown initial access token with 401 invalid_token', async () => {
    await start();
    expect((await registerClient(gw, undefined)).status).toBe(401);
    const unknown = await registerClient(gw, 'iat_made_up');
    expect(unknown.status).toBe(401);
    expect(unknown.json).toMatchObject({ error: 'invalid_token' });
  });

  it('refuses other grant types or auth methods with invalid_client_metadata, keeping the token', async () => {
    await start();
    const token = await initialAccessToken();
    const grants = await registerClient(gw, token, { grant_types: ['authorization_code'] });
    expect(grants.status).toBe(400);
    expect(grants.json).toMatchObject({ error: 'invalid_client_metadata' });
    const method = await registerClient(gw, token, {
      token_endpoint_auth_method: 'private_key_jwt',
    });
    expect(method.json).toMatchObject({ error: 'invalid_client_metadata' });
    expect((await registerClient(gw, token)).status).toBe(201);
  });
});

describe('the client credentials grant', () => {
  it('mints a short-lived aud=bigbrain JWT that verifies against the JWKS', async () => {
    await start({ tokenTtlMs: 120_000, orgId: 'acme' });
    const credential = await enroll(gw, { name: 'warehouse' });
    const answer = await requestToken(gw, credential);
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const { access_token, token_type, expires_in } = answer.json as Record<string, unknown>;
    expect({ token_type, expires_in }).toEqual({ token_type: 'Bearer', expires_in: 120 });

    const metadata = (await get(`${gw.url}/moku/.well-known/oauth-authorization-server`)).json as {
      jwks_uri: string;
      issuer: string;
    };
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(access_token as string, jwks, {
      issuer: metadata.issuer,
      audience: 'bigbrain',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      iss: `${gw.url}/moku`,
      aud: 'bigbrain',
      sub: credential.clientId,
      client_id: credential.clientId,
      kind: 'neuron',
      org_id: 'acme',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(idpOf(gw).clients()[0]!.lastTokenAt).toBeTypeOf('number');
  });

  it('signs with RS256 when told', async () => {
    await start({ algorithm: 'RS256' });
    const token = (await requestToken(gw, await enroll(gw))).json as { access_token: string };
    expect(decodeProtectedHeader(token.access_token).alg).toBe('RS256');
    const jwks = (await get(`${gw.url}/moku/jwks`)).json as { keys: Array<{ kty: string }> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig' })]);
  });

  it('publishes only the public key', async () => {
    await start();
    const jwks = (await get(`${gw.url}/moku/jwks`)).json as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(jwks.keys[0]!.kid).toEqual(expect.any(String));
  });

  it('answers a wrong secret, no Basic credentials, or client_secret_post with 401 invalid_client', async () => {
    await start();
    const credential = await enroll(gw);
    const wrong = await requestToken(gw, { ...credential, clientSecret: 'guess' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: 'invalid_client' });
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm="moku"/);
    const post = await postForm(gw, '/token', {
      grant_type: 'client_credentials',
      client_id: credential.clientId,
      client_secret: credential.clientSecret,
    });
    expect(post.status).toBe(401);
    expect(post.json).toMatchObject({
      error: 'invalid_client',
      error_description: expect.stringContaining('client_secret_post is not supported'),
    });
  });

  it('answers invalid_client once the client is revoked', async () => {
    await start();
    const credential = await enroll(gw);
    expect((await requestToken(gw, credential)).status).toBe(200);
    await idpOf(gw).revokeClient(credential.clientId, 'test');
    const refused = await requestToken(gw, credential);
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({
      error: 'invalid_client',
      error_description: `client ${credential.clientId} was revoked; re-enroll the neuron`,
    });
  });

  it('refuses another audience with invalid_target and an unknown grant with unsupported_grant_type', async () => {
    await start();
    const credential = await enroll(gw);
    const audience = await requestToken(gw, credential, { audience: 'elsewhere' });
    expect(audience.status).toBe(400);
    expect(audience.json).toMatchObject({ error: 'invalid_target' });
    const grant = await postForm(gw, '/token', { grant_type: 'password' }, basic('a', 'b'));
    expect(grant.json).toMatchObject({ error: 'unsupported_grant_type' });
  });
});
