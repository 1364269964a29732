import { Neuron } from '@holokai/neuron-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevGateway, type DevGateway } from '../../src/dev-gateway/index.js';
import { connect, echo, openStream, type SseStream } from '../dev-gateway/sse-client.js';
import { enroll, idpOf, mint, requestToken } from './oauth.js';

let gw: DevGateway;
const streams: SseStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

describe('revoking a client', () => {
  it('sends each of its streams a disconnect frame, then ends them; other streams stay', async () => {
    gw = await createDevGateway({ identity: true, token: 'dev-token' });
    const credential = await enroll(gw, { name: 'doomed' });
    const token = await mint(gw, credential);
    const first = await connect(gw.url, 'n1', [echo], { token });
    const second = await connect(gw.url, 'n2', [echo], { token });
    const bystander = await connect(gw.url, 'n3', [echo], { token: 'dev-token' });
    streams.push(first.stream, second.stream, bystander.stream);

    const revoked = gw.waitFor('identity:client', (client) => client.revokedAt !== undefined);
    const { disconnected } = await idpOf(gw).revokeClient(credential.clientId, 'laptop lost');
    expect(disconnected).toEqual(['n1', 'n2']);

    for (const { stream } of [first, second]) {
      const frame = (await stream.next('disconnect')).frame;
      expect(frame).toEqual({
        type: 'disconnect',
        reason: `client ${credential.clientId} was revoked: laptop lost; re-enroll`,
      });
      await stream.closed;
      expect(stream.events.at(-1)?.frame.type).toBe('disconnect');
    }
    expect(await revoked).toMatchObject({
      clientId: credential.clientId,
      revokeReason: 'laptop lost',
      neurons: ['n1', 'n2'],
    });
    expect(gw.neurons().find((n) => n.neuronId === 'n3')?.streamOpen).toBe(true);
    expect(idpOf(gw).clients()[0]).toMatchObject({ revokedAt: expect.any(Number), neurons: [] });
  });

  it('refuses its next token request with invalid_client, and its unexpired tokens with 401', async () => {
    gw = await createDevGateway({ identity: true });
    const credential = await enroll(gw);
    const token = await mint(gw, credential);
    await idpOf(gw).revokeClient(credential.clientId);

    const minted = await requestToken(gw, credential);
    expect(minted.status).toBe(401);
    expect(minted.json).toMatchObject({ error: 'invalid_client' });
    const reopened = await openStream(gw.url, 'n1', { token });
    expect(reopened.status).toBe(401);
    expect(reopened.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="client ${credential.clientId} was revoked"`,
    );
  });

  it('cannot happen twice, nor to a client that does not exist', async () => {
    gw = await createDevGateway({ identity: true });
    const { clientId } = await enroll(gw);
    await idpOf(gw).revokeClient(clientId);
    await expect(idpOf(gw).revokeClient(clientId)).rejects.toThrow(/revoked already/);
    await expect(idpOf(gw).revokeClient('nrn_NOPE')).rejects.toThrow(
      `no client nrn_NOPE (enrolled: ${clientId})`,
    );
  });

  it('disconnects a Neuron of the SDK, whose reconnects are then refused', async () => {
    gw = await createDevGateway({ identity: true });
    const token = await mint(gw, await enroll(gw));
    const neuron = new Neuron({
      gatewayUrl: gw.url,
      neuronId: 'sdk-1',
      auth: () => token,
      initialReconnectDelayMs: 10,
      maxReconnectDelayMs: 50,
    });
    neuron.handle({ type: 'examples/echo', scope: 'any', concurrency: 1 }, (input) => input);
    const registered = new Promise<void>((resolve) =>
      neuron.on('connection:registered', () => resolve()),
    );
    await neuron.start();
    await registered;
    try {
      const frames: string[] = [];
      neuron.on('frame', (frame) => frames.push(frame.type));
      const closed = new Promise<string>((resolve) => neuron.on('connection:close', resolve));
      const refused = gw.waitFor('request', (r) => r.path === 'events' && r.status === 401);
      await idpOf(gw).revokeClient(idpOf(gw).clients()[0]!.clientId);
      await closed;
      expect(frames).toContain('disconnect');
      await refused;
    } finally {
      await neuron.stop({ drain: false });
    }
  });
});
