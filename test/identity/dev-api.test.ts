import { request } from 'node:http';
import { createParser } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevGateway, type DevGateway } from '../../src/dev-gateway/index.js';
import { connect, echo, type JsonAnswer, requestJson } from '../dev-gateway/sse-client.js';
import { authorizeDevice, enroll, mint, pollDeviceCode } from './oauth.js';

let gw: DevGateway;
const streams: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

function api(method: string, path: string, body?: unknown): Promise<JsonAnswer> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return requestJson(method, `${gw.url}/__dev__${path}`, text);
}

/** Follows `/__dev__/events` (resolving once subscribed), keeping the identity events in order. */
function followIdentity(): Promise<Array<{ name: string; data: Record<string, unknown> }>> {
  const seen: Array<{ name: string; data: Record<string, unknown> }> = [];
  const parser = createParser({
    onEvent: ({ event, data }) => {
      if (event?.startsWith('identity:')) seen.push({ name: event, data: JSON.parse(data) });
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}/__dev__/events`, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('error', () => {});
      resolve(seen);
    });
    req.on('error', () => {});
    req.on('close', () => reject(new Error('the event stream closed before it opened')));
    streams.push({ close: () => req.destroy() });
    req.end();
  });
}

async function until<T>(read: () => T | undefined, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('/__dev__/identity', () => {
  it('says where the identity provider is', async () => {
    gw = await createDevGateway({ identity: { orgId: 'acme' } });
    const answer = await api('GET', '/identity');
    expect(answer.json).toEqual({
      issuer: `${gw.url}/moku`,
      metadataUrl: `${gw.url}/moku/.well-known/oauth-authorization-server`,
      tokenEndpoint: `${gw.url}/moku/token`,
      jwksUri: `${gw.url}/moku/jwks`,
      verificationUri: `${gw.url}/device`,
      autoApprove: false,
      orgId: 'acme',
    });
  });

  it('answers 404 IDENTITY_DISABLED on a gateway without one', async () => {
    gw = await createDevGateway();
    for (const path of ['/identity', '/identity/clients', '/identity/device-codes']) {
      const answer = await api('GET', path);
      expect(answer.status).toBe(404);
      expect(answer.json).toMatchObject({ error: { code: 'IDENTITY_DISABLED' } });
    }
  });

  it('lists pending device codes and approves one by its user code', async () => {
    gw = await createDevGateway({ identity: true });
    const device = await authorizeDevice(gw, { name: 'w', capabilities: ['a/b', 'c/d'] });
    const list = await api('GET', '/identity/device-codes');
    expect(list.json).toEqual([
      {
        userCode: device.user_code,
        status: 'pending',
        clientName: 'w',
        capabilities: ['a/b', 'c/d'],
        createdAt: expect.any(Number),
        expiresAt: expect.any(Number),
        verificationUriComplete: device.verification_uri_complete,
      },
    ]);
    const typed = device.user_code.toLowerCase();
    const approved = await api('POST', `/identity/device-codes/${typed}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ userCode: device.user_code, status: 'approved' });
    expect((await api('GET', '/identity/device-codes')).json).toEqual([]);
    expect((await pollDeviceCode(gw, device.device_code)).status).toBe(200);
  });

  it('denies one, and refuses to decide twice (409) or an unknown code (404)', async () => {
    gw = await createDevGateway({ identity: true });
    const device = await authorizeDevice(gw);
    expect(
      (await api('POST', `/identity/device-codes/${device.user_code}/deny`)).json,
    ).toMatchObject({
      status: 'denied',
    });
    const twice = await api('POST', `/identity/device-codes/${device.user_code}/approve`);
    expect(twice.status).toBe(409);
    expect(twice.json).toEqual({
      error: {
        code: 'DEVICE_CODE_DECIDED',
        message: `user code ${device.user_code} is denied already`,
      },
    });
    const unknown = await api('POST', '/identity/device-codes/bbbbcccc/approve');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      error: {
        code: 'USER_CODE_NOT_FOUND',
        message: 'no pending user code BBBB-CCCC (unknown or expired); pending: none',
      },
    });
    const body = await api('POST', `/identity/device-codes/${device.user_code}/approve`, { x: 1 });
    expect(body.status).toBe(400);
  });

  it('lists clients with their connected neurons, and revokes one', async () => {
    gw = await createDevGateway({ identity: true });
    const credential = await enroll(gw, { name: 'lister', capabilities: ['examples/echo'] });
    const { stream } = await connect(gw.url, 'n1', [echo], { token: await mint(gw, credential) });
    streams.push(stream);
    const clients = await api('GET', '/identity/clients');
    expect(clients.json).toEqual([
      {
        clientId: credential.clientId,
        clientName: 'lister',
        capabilities: ['examples/echo'],
        createdAt: expect.any(Number),
        lastTokenAt: expect.any(Number),
        neurons: ['n1'],
      },
    ]);
    const revoked = await api('POST', `/identity/clients/${credential.clientId}/revoke`, {
      reason: 'done',
    });
    expect(revoked.json).toEqual({ revoked: credential.clientId, disconnected: ['n1'] });
    await stream.closed;
    const again = await api('POST', `/identity/clients/${credential.clientId}/revoke`);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: 'CLIENT_REVOKED' } });
    const unknown = await api('POST', '/identity/clients/nrn_NOPE/revoke');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'CLIENT_NOT_FOUND' } });
    const badReason = await api('POST', `/identity/clients/${credential.clientId}/revoke`, {
      why: 1,
    });
    expect(badReason.status).toBe(400);
  });

  it('streams identity events: a code issued and approved, a client enrolled and revoked', async () => {
    gw = await createDevGateway({ identity: true });
    const seen = await followIdentity();
    const device = await authorizeDevice(gw, { name: 'evented' });
    await api('POST', `/identity/device-codes/${device.user_code}/approve`);
    const credential = await enroll(gw, { name: 'evented-2' });
    await api('POST', `/identity/clients/${credential.clientId}/revoke`);
    const events = await until(() => (seen.length >= 7 ? seen : undefined));
    expect(
      events.map(
        (e) => `${e.name} ${e.data.status ?? (e.data.revokedAt ? 'revoked' : 'enrolled')}`,
      ),
    ).toEqual([
      'identity:device-code pending',
      'identity:device-code approved',
      'identity:device-code pending',
      'identity:device-code approved',
      'identity:device-code collected',
      'identity:client enrolled',
      'identity:client revoked',
    ]);
    expect(JSON.stringify(events)).not.toContain(device.device_code);
  });
});
