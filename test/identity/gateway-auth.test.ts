import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type DevGatewayOptions,
} from '../../src/dev-gateway/index.js';
import { connect, echo, openStream, post, registerFrame } from '../dev-gateway/sse-client.js';
import { enroll, idpOf, mint } from './oauth.js';

let gw: DevGateway;
const streams: Array<{ close(): void }> = [];
async function start(options: DevGatewayOptions = {}): Promise<DevGateway> {
  gw = await createDevGateway({ identity: true, ...options });
  return gw;
}
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

/** Opens a stream with `token`; the answer's status and challenge. */
async function open(token: string | undefined, neuronId = 'n1') {
  const stream = await openStream(gw.url, neuronId, token === undefined ? {} : { token });
  streams.push(stream);
  return stream;
}

const INVALID_TOKEN = /^Bearer error="invalid_token", error_description="[^"]+"$/;

describe('the gateway with an identity provider', () => {
  it("accepts an enrolled neuron's minted JWT on the stream and on POSTs", async () => {
    await start();
    const token = await mint(gw, await enroll(gw));
    const { stream, registered } = await connect(gw.url, 'n1', [echo], { token });
    streams.push(stream);
    expect(registered.capabilities).toEqual([
      { type: 'examples/echo', scope: 'any', concurrency: 1 },
    ]);
    const clientId = idpOf(gw).clients()[0]!.clientId;
    expect(gw.neurons()[0]!.identity).toEqual({ kind: 'neuron', sub: clientId });
    expect(idpOf(gw).clients()[0]!.neurons).toEqual(['n1']);
  });

  it('answers 401 with Bearer error="invalid_token" to a request without a token', async () => {
    await start();
    const stream = await open(undefined);
    expect(stream.status).toBe(401);
    expect(stream.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="no bearer token"',
    );
    expect(JSON.parse(stream.body)).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'no bearer token' },
    });
  });

  it.each([
    ['an audience without bigbrain', { audience: 'elsewhere' }, /aud does not include bigbrain/],
    ['an expiry more than 60 s ago', { expiresIn: -61 }, /expired more than 60 s ago/],
    ['a not-before more than 60 s ahead', { notBefore: 120 }, /not valid yet/],
  ])('refuses a token with %s', async (_, options, why) => {
    await start();
    const token = await idpOf(gw).mintToken({ kind: 'service', sub: 'svc', ...options });
    const stream = await open(token);
    expect(stream.status).toBe(401);
    expect(stream.headers['www-authenticate']).toMatch(INVALID_TOKEN);
    expect(JSON.parse(stream.body).error.message).toMatch(why);
    const posted = await post(gw.url, 'register', registerFrame('n1'), { token });
    expect(posted.status).toBe(401);
    expect(posted.headers['www-authenticate']).toMatch(INVALID_TOKEN);
  });

  it('accepts a token expired or not yet valid by less than the 60 s leeway', async () => {
    await start();
    const idp = idpOf(gw);
    const late = await idp.mintToken({ kind: 'service', sub: 'svc', expiresIn: -50 });
    expect((await open(late, 'late')).status).toBe(200);
    const early = await idp.mintToken({ kind: 'service', sub: 'svc', notBefore: 50 });
    expect((await open(early, 'early')).status).toBe(200);
  });

  it('refuses a token signed by another key, or tampered with', async () => {
    await start();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ kind: 'service' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(idpOf(gw).issuer)
      .setAudience('bigbrain')
      .setSubject('svc')
      .setExpirationTime('5m')
      .sign(privateKey);
    const stream = await open(forged);
    expect(stream.status).toBe(401);
    expect(JSON.parse(stream.body).error.message).toMatch(/not signed by a key of .*\/moku's JWKS/);

    const genuine = await idpOf(gw).mintToken({ kind: 'neuron', sub: 'x' });
    const [header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = [
      header,
      Buffer.from(JSON.stringify({ ...claims, kind: 'service' })).toString('base64url'),
      signature,
    ].join('.');
    expect((await open(tampered)).status).toBe(401);
  });

  it('refuses a token of another issuer or without a kind', async () => {
    await start();
    const other = await createDevGateway({ identity: true });
    try {
      const foreign = await idpOf(other).mintToken({ kind: 'service', sub: 'svc' });
      expect(JSON.parse((await open(foreign)).body).error.message).toMatch(
        /not signed by a key|iss is not/,
      );
    } finally {
      await other.close();
    }
    const kindless = await idpOf(gw).mintToken({ kind: '', sub: 'svc' });
    expect(JSON.parse((await open(kindless)).body).error.message).toBe(
      'the token has no kind claim',
    );
  });

  it('refuses something that is not a JWT', async () => {
    await start();
    const stream = await open('not-a-jwt');
    expect(stream.status).toBe(401);
    expect(stream.headers['www-authenticate']).toMatch(INVALID_TOKEN);
  });

  it('still accepts the static dev token, as a service identity', async () => {
    await start({ token: 'dev-token' });
    const { stream } = await connect(gw.url, 'n1', [{ ...echo, type: 'core/echo' }], {
      token: 'dev-token',
    });
    streams.push(stream);
    expect(gw.neurons()[0]!.identity).toEqual({ kind: 'service', sub: 'dev-token' });
    expect((await open('wrong-token', 'n2')).status).toBe(401);
  });

  it("prefers an enrolled neuron's own identity when acceptToken would take any token", async () => {
    await start({ acceptToken: () => true });
    const token = await mint(gw, await enroll(gw));
    expect((await open(token)).status).toBe(200);
    expect(gw.neurons()[0]!.identity?.kind).toBe('neuron');
    expect((await open('anything', 'n2')).status).toBe(200);
    expect(gw.neurons()[1]!.identity?.kind).toBe('service');
  });

  it('refuses a neuron token whose client is unknown to the provider', async () => {
    await start();
    const token = await idpOf(gw).mintToken({ kind: 'neuron', sub: 'nrn_NOT_ENROLLED' });
    expect(JSON.parse((await open(token)).body).error.message).toBe(
      'client nrn_NOT_ENROLLED is not enrolled here',
    );
  });
});

describe('the gateway without an identity provider', () => {
  it('keeps its plain Bearer challenge and ignores JWTs it cannot check', async () => {
    gw = await createDevGateway({ token: 'secret' });
    const stream = await open('eyJ.eyJ.sig');
    expect(stream.status).toBe(401);
    expect(stream.headers['www-authenticate']).toBe('Bearer');
  });
});
