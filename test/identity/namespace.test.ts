import { Neuron } from '@holokai/neuron-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDevGateway,
  type DevGateway,
  type MintTokenOptions,
} from '../../src/dev-gateway/index.js';
import type { CapabilityAdvertisement, Scope } from '../../src/protocol/frames.js';
import { openStream, post, registerFrame, type SseStream } from '../dev-gateway/sse-client.js';
import { enroll, idpOf } from './oauth.js';

let gw: DevGateway;
const streams: SseStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await gw?.close();
});

const NEURON: MintTokenOptions = { kind: 'neuron', sub: 'nrn_X' };
const SERVICE: MintTokenOptions = { kind: 'service', sub: 'svc' };
const USER: MintTokenOptions = { kind: 'user', sub: 'alice' };
const ACME: MintTokenOptions = { kind: 'neuron', sub: 'nrn_X', orgId: 'acme' };

/**
 * Opens a stream and registers one capability with a token of `who`, on a fresh gateway. A
 * neuron token names an enrolled client (the gateway refuses others), so one is enrolled first.
 */
async function registerAs(who: MintTokenOptions, type: string, scope: Scope) {
  gw = await createDevGateway({ identity: true });
  const sub = who.kind === 'neuron' ? (await enroll(gw)).clientId : who.sub;
  const token = await idpOf(gw).mintToken({ ...who, sub });
  streams.push(await openStream(gw.url, 'n1', { token }));
  const capability: CapabilityAdvertisement = { type, scope, concurrency: 1 };
  return post(gw.url, 'register', registerFrame('n1', [capability]), { token });
}

describe("AUTH.md §5's namespace table, on register", () => {
  it.each([
    ['core/*', SERVICE, 'core/script.python', 'any'],
    ['org/{orgId}/*', ACME, 'org/acme/erp.read', 'any'],
    ['user/{userId}/*', USER, 'user/alice/notes', { onBehalfOf: 'alice' }],
    ['desktop/*', USER, 'desktop/mcp/drive.read', { onBehalfOf: 'alice' }],
    ['anything else', NEURON, 'examples/echo', 'any'],
  ] as const)('lets the right identity advertise %s', async (_, who, type, scope) => {
    const answer = await registerAs(who, type, scope);
    expect(answer.status).toBe(202);
  });

  it.each([
    [
      'core/* by a neuron',
      NEURON,
      'core/script.python',
      'any',
      'NAMESPACE_FORBIDDEN',
      /core\/\* may only be advertised by a service identity \(kind "service"\); this token's kind is "neuron" \(sub "nrn_\w+"\)/,
    ],
    [
      'core/* by a user',
      USER,
      'core/x',
      'any',
      'NAMESPACE_FORBIDDEN',
      /this token's kind is "user"/,
    ],
    [
      'org/acme/* without org_id',
      NEURON,
      'org/acme/erp.read',
      'any',
      'NAMESPACE_FORBIDDEN',
      /org\/acme\/\* needs a token whose org_id is "acme"; this token has no org_id/,
    ],
    [
      'org/acme/* with another org_id',
      { ...ACME, orgId: 'globex' },
      'org/acme/erp.read',
      'any',
      'NAMESPACE_FORBIDDEN',
      /this token has org_id "globex"/,
    ],
    [
      'user/* by a neuron',
      ACME,
      'user/alice/notes',
      { onBehalfOf: 'alice' },
      'SCOPE_FORBIDDEN',
      /user\/\* needs a user token \(kind "user"\) .*; this token's kind is "neuron"/,
    ],
    [
      'user/* with scope any',
      USER,
      'user/alice/notes',
      'any',
      'SCOPE_FORBIDDEN',
      /the scope is "any", the token's sub is "alice"/,
    ],
    [
      'user/* for another user',
      USER,
      'user/bob/notes',
      { onBehalfOf: 'bob' },
      'SCOPE_FORBIDDEN',
      /the scope is \{ onBehalfOf: "bob" \}, the token's sub is "alice"/,
    ],
    [
      'desktop/* by a service',
      SERVICE,
      'desktop/mcp/drive.read',
      { onBehalfOf: 'alice' },
      'SCOPE_FORBIDDEN',
      /desktop\/\* needs a user token/,
    ],
  ] as const)('refuses %s with 403', async (_, who, type, scope, code, message) => {
    const answer = await registerAs(who, type, scope);
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ error: { code, message: expect.stringMatching(message) } });
  });

  it('refuses the whole registration for one forbidden capability, saying how many more', async () => {
    gw = await createDevGateway({ identity: true });
    const token = await idpOf(gw).mintToken(USER);
    streams.push(await openStream(gw.url, 'n1', { token }));
    const capabilities = ['examples/echo', 'core/a', 'core/b'].map((type) => ({
      type,
      scope: 'any' as const,
      concurrency: 1,
    }));
    const answer = await post(gw.url, 'register', registerFrame('n1', capabilities), { token });
    expect(answer.status).toBe(403);
    expect((answer.json as { error: { message: string } }).error.message).toMatch(
      /^core\/a: .* \(and 1 more capabilities refused\)$/,
    );
    expect(gw.neurons()[0]!.sessionId).toBeUndefined();
  });

  it('lets the static dev token, a service, advertise core/* but not org/*', async () => {
    gw = await createDevGateway({ identity: true, token: 'dev-token' });
    const options = { token: 'dev-token' };
    streams.push(await openStream(gw.url, 'n1', options));
    const core = registerFrame('n1', [{ type: 'core/x', scope: 'any', concurrency: 1 }]);
    expect((await post(gw.url, 'register', core, options)).status).toBe(202);
    const org = registerFrame('n1', [{ type: 'org/acme/x', scope: 'any', concurrency: 1 }]);
    const refused = await post(gw.url, 'register', org, options);
    expect(refused.json).toMatchObject({
      error: {
        code: 'NAMESPACE_FORBIDDEN',
        message: expect.stringContaining('(the static dev token)'),
      },
    });
  });
});

describe('the namespace table on update-capability', () => {
  it("checks the request's own token against the registered capability", async () => {
    gw = await createDevGateway({ identity: true, token: 'dev-token' });
    const service = { token: 'dev-token' };
    streams.push(await openStream(gw.url, 'n1', service));
    const frame = registerFrame('n1', [{ type: 'core/x', scope: 'any', concurrency: 1 }]);
    expect((await post(gw.url, 'register', frame, service)).status).toBe(202);
    const update = {
      type: 'update-capability',
      neuronId: 'n1',
      capabilityType: 'core/x',
      concurrency: 2,
    };
    expect((await post(gw.url, 'update-capability', update, service)).status).toBe(202);
    const user = { token: await idpOf(gw).mintToken(USER) };
    const refused = await post(gw.url, 'update-capability', update, user);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'NAMESPACE_FORBIDDEN' } });
  });
});

describe('a Neuron whose registration is refused', () => {
  it('reports "registration rejected by gateway: <code> <message>" and holds no leases', async () => {
    gw = await createDevGateway({ identity: true });
    const token = await idpOf(gw).mintToken({ kind: 'service', sub: 'svc' });
    const neuron = new Neuron({
      gatewayUrl: gw.url,
      neuronId: 'sdk-1',
      auth: () => token,
      initialReconnectDelayMs: 20,
    });
    neuron.handle(
      { type: 'user/alice/notes', scope: { onBehalfOf: 'alice' }, concurrency: 1 },
      () => 'x',
    );
    const rejected = new Promise<Error>((resolve) => neuron.on('error', resolve));
    await neuron.start();
    try {
      expect((await rejected).message).toMatch(
        /^registration rejected by gateway: SCOPE_FORBIDDEN user\/alice\/notes: user\/\* needs a user token/,
      );
      expect(gw.neurons()[0]).toMatchObject({ streamOpen: true, capabilities: [] });
    } finally {
      await neuron.stop({ drain: false });
    }
  });
});
