/**
 * Moku's part, played by oidc-provider 9 in-process on 127.0.0.1 (port 0), configured as AUTH.md
 * needs it:
 * * device flow for the public client `neuron-enrollment`, scope `neuron:enroll`, with
 *   `client_name` and `capabilities` kept on the device code (`extraParams`) for the approval screen;
 * * dynamic registration behind an initial access token. oidc-provider only accepts its own
 *   `InitialAccessToken`s, so a middleware in front of `POST /reg` swaps a device-flow access token
 *   of scope `neuron:enroll` (checked with `AccessToken.find`, then destroyed: one approval, one
 *   client) for a one-use `InitialAccessToken` whose policy completes the client;
 * * client credentials with resource indicators: `audience=bigbrain` (a parameter oidc-provider does
 *   not know; `defaultResource` reads it from the body) selects the resource `urn:holokai:bigbrain`,
 *   whose tokens are ES256 JWTs with `aud` = `bigbrain`, `sub` = the client id, `kind` and `org_id`.
 * Approval is driven through oidc-provider's models (the device code found by its user code gets an
 * account and a grant), as its own device-flow pages do. A front handler injects faults (503s,
 * resets, hangs, canned OAuth errors) ahead of the provider and logs every request.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CredentialFile } from '@holokai/neuron-sdk/auth';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { OidcProviderModule, ProviderInstance } from './oidc-provider-types.js';

export const ENROLLMENT_CLIENT_ID = 'neuron-enrollment';
export const BIGBRAIN_RESOURCE = 'urn:holokai:bigbrain';
const ORG_ID = 'acme';

/** An answer the front handler gives instead of the provider. */
export interface Fault {
  /** Matched against the request path, e.g. `/token`. */
  path: string;
  /** An HTTP status with an optional JSON body, or a broken connection. @default 503 */
  status?: number;
  /** The JSON body, or a function of the request that returns it. */
  body?: unknown;
  headers?: Record<string, string>;
  action?: 'reset' | 'hang';
  /** How many matching requests it answers. @default 1 */
  times?: number;
}

export interface IdpSettings {
  /** Lifetime of client-credentials tokens, in seconds. */
  tokenTtl: number;
  /** Lifetime of device codes, in seconds. */
  deviceCodeTtl: number;
}

export interface TestIdp {
  url: string;
  provider: ProviderInstance;
  settings: IdpSettings;
  faults: Fault[];
  /** Every request that reached the front handler, in order. */
  requests: { method: string; path: string }[];
  /** The JSON bodies `POST /reg` received. */
  registrations: Record<string, unknown>[];
  approve(userCode: string, accountId?: string): Promise<void>;
  deny(userCode: string): Promise<void>;
  /** The parameters the device authorization request carried (`client_name`, `capabilities`). */
  deviceParams(userCode: string): Promise<Record<string, unknown>>;
  /** A client registered directly, as enrollment would have, and its credential. */
  addNeuronClient(): Promise<CredentialFile>;
  clientMetadata(clientId: string): Promise<Record<string, unknown> | undefined>;
  rotateSecret(clientId: string): Promise<string>;
  revoke(clientId: string): Promise<void>;
  close(): Promise<void>;
}

// A specifier in a variable: oidc-provider ships no types, and a global `declare module` could
// collide with another suite's; the module is typed locally instead.
const OIDC_PROVIDER = 'oidc-provider';
let counter = 0;

export async function startIdp(settings: Partial<IdpSettings> = {}): Promise<TestIdp> {
  const { default: Provider, errors } = (await import(OIDC_PROVIDER)) as OidcProviderModule;
  const current: IdpSettings = { tokenTtl: 600, deviceCodeTtl: 600, ...settings };
  const faults: Fault[] = [];
  const requests: TestIdp['requests'] = [];
  const registrations: Record<string, unknown>[] = [];
  let handler: RequestListener | undefined;

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://idp').pathname;
    requests.push({ method: req.method ?? 'GET', path });
    const index = faults.findIndex((f) => f.path === path);
    const fault = faults[index];
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.splice(index, 1);
      return answerFault(fault, req, res);
    }
    handler!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = {
    ...(await exportJWK(privateKey)),
    kid: 'moku-es256',
    alg: 'ES256',
    use: 'sig',
  };

  const provider = new Provider(url, {
    jwks: { keys: [signingKey] },
    clients: [
      {
        client_id: ENROLLMENT_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['openid', 'neuron:enroll'],
    extraParams: ['client_name', 'capabilities'],
    extraClientMetadata: {
      properties: ['capabilities', 'org_id'],
      validator(_ctx, key, value) {
        const ok =
          key !== 'capabilities' ||
          value === undefined ||
          (Array.isArray(value) && value.every((c) => typeof c === 'string'));
        if (!ok) throw new errors.InvalidClientMetadata('capabilities must be an array of strings');
      },
    },
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      registration: {
        enabled: true,
        initialAccessToken: true,
        issueRegistrationAccessToken: false,
        policies: {
          async 'neuron-enrollment'(ctx, properties) {
            registrations.push({ ...ctx.oidc.body });
            // A client-credentials client: no authorization-code defaults.
            properties.response_types = [];
            properties.redirect_uris = [];
            properties.org_id = ORG_ID;
            await ctx.oidc.entities.InitialAccessToken?.destroy();
          },
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          const audience = ctx.oidc.body?.audience;
          if (typeof audience !== 'string') return undefined;
          return audience === 'bigbrain' ? BIGBRAIN_RESOURCE : `urn:holokai:${audience}`;
        },
        useGrantedResource: () => false,
        getResourceServerInfo(_ctx, resource) {
          if (resource !== BIGBRAIN_RESOURCE) throw new errors.InvalidTarget('unknown audience');
          return {
            scope: 'neuron',
            audience: 'bigbrain',
            accessTokenFormat: 'jwt',
            accessTokenTTL: current.tokenTtl,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'ClientCredentials') return undefined;
      return { kind: 'neuron', org_id: ctx.oidc.client?.metadata().org_id };
    },
    ttl: {
      AccessToken: 600,
      ClientCredentials: () => current.tokenTtl,
      DeviceCode: () => current.deviceCodeTtl,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
  });

  // AUTH.md §2 step 4: the device-flow access token is the registration's initial access token.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/reg') {
      const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
      const token = bearer ? await provider.AccessToken.find(bearer) : undefined;
      if (token?.clientId === ENROLLMENT_CLIENT_ID && token.scopes.has('neuron:enroll')) {
        await token.destroy();
        const iat = new provider.InitialAccessToken({
          expiresIn: 60,
          policies: ['neuron-enrollment'],
        });
        ctx.headers.authorization = `Bearer ${await iat.save()}`;
      }
    }
    await next();
  });
  handler = provider.callback();

  const deviceCode = async (userCode: string) => {
    const code = await provider.DeviceCode.findByUserCode(
      userCode.toUpperCase().replace(/\W/g, ''),
    );
    if (!code) throw new Error(`no device code for user code ${userCode}`);
    return code;
  };
  const clients = provider.Client.adapter;

  return {
    url,
    provider,
    settings: current,
    faults,
    requests,
    registrations,
    async approve(userCode, accountId = `admin@${ORG_ID}`) {
      const code = await deviceCode(userCode);
      const grant = new provider.Grant({ accountId, clientId: code.clientId });
      grant.addOIDCScope('neuron:enroll');
      Object.assign(code, {
        accountId,
        grantId: await grant.save(),
        scope: 'neuron:enroll',
        authTime: Math.floor(Date.now() / 1000),
      });
      await code.save();
    },
    async deny(userCode) {
      const code = await deviceCode(userCode);
      Object.assign(code, { error: 'access_denied', errorDescription: 'the admin said no' });
      await code.save();
    },
    async deviceParams(userCode) {
      return (await deviceCode(userCode)).params;
    },
    async addNeuronClient() {
      counter += 1;
      const clientId = `nrn_test_${counter}_${Date.now().toString(36)}`;
      const secret = randomSecret();
      await clients.upsert(clientId, {
        client_id: clientId,
        client_secret: secret,
        client_name: 'test-neuron',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        org_id: ORG_ID,
      });
      return {
        version: 1,
        issuer: url,
        token_endpoint: `${url}/token`,
        client_id: clientId,
        client_secret: secret,
        audience: 'bigbrain',
        name: 'test-neuron',
        capabilities: [],
        enrolled_at: new Date().toISOString(),
      };
    },
    clientMetadata: (clientId) => clients.find(clientId),
    async rotateSecret(clientId) {
      const stored = await clients.find(clientId);
      if (!stored) throw new Error(`no client ${clientId}`);
      const secret = randomSecret();
      await clients.upsert(clientId, { ...stored, client_secret: secret });
      return secret;
    },
    async revoke(clientId) {
      await clients.destroy(clientId);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

function answerFault(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
  if (fault.action === 'reset') {
    req.socket.destroy();
    return;
  }
  if (fault.action === 'hang') return; // answered by close(), which drops the connection
  const content: unknown = typeof fault.body === 'function' ? fault.body(req) : fault.body;
  const body = content === undefined ? '' : JSON.stringify(content);
  res.writeHead(fault.status ?? 503, {
    ...(content === undefined ? {} : { 'content-type': 'application/json' }),
    ...fault.headers,
  });
  res.end(body);
}

/**
 * One IdP for the calling suite, started before its tests and closed after them, its injected
 * faults cleared after each test. The object returned stands for that IdP.
 */
export function useIdp(): TestIdp {
  let current: TestIdp | undefined;
  beforeAll(async () => {
    current = await startIdp();
  });
  afterAll(() => current?.close());
  afterEach(() => {
    if (current) current.faults.length = 0;
  });
  return new Proxy({} as TestIdp, {
    get(_target, key) {
      if (!current) throw new Error('useIdp(): the IdP is not started yet (use it inside a test)');
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
