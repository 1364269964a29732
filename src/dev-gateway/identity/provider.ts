/**
 * The dev gateway's identity provider: "Moku's part" of AUTH.md, at `{gatewayUrl}/moku` on the
 * gateway's own listener. It issues device codes, registers clients, mints `aud=bigbrain` JWTs,
 * and answers the gateway's question "who is this bearer token?".
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '../../errors.js';
import type { GatewayHub } from '../hub.js';
import { ClientBook, type ClientRecord } from './clients.js';
import { DeviceBook } from './device.js';
import { handleOAuth, OAUTH_PATHS } from './endpoints.js';
import { SigningKey, TokenRejected } from './keys.js';
import { AUDIENCE, ISSUER_PATH, type ResolvedIdentityOptions, seconds } from './options.js';
import { StateDir } from './state.js';
import type {
  ClientInfo,
  DevIdentity,
  DeviceCodeInfo,
  MintTokenOptions,
  TokenIdentity,
} from './types.js';

/** What is loaded before the gateway listens: nothing of it depends on the URL. */
export interface IdentityState {
  options: ResolvedIdentityOptions;
  state: StateDir | undefined;
  key: SigningKey;
  clients: ClientBook;
}

export async function loadIdentityState(
  options: ResolvedIdentityOptions,
  stateDir: string | undefined,
): Promise<IdentityState> {
  const state = stateDir === undefined ? undefined : await StateDir.open(stateDir);
  const key = await SigningKey.load(state, options.algorithm);
  const clients = await ClientBook.load(state);
  return { options, state, key, clients };
}

export class IdentityProvider implements DevIdentity {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  readonly verificationUri: string;
  readonly options: ResolvedIdentityOptions;
  readonly key: SigningKey;
  readonly clientBook: ClientBook;
  readonly devices: DeviceBook;
  readonly #hub: GatewayHub;
  readonly #state: StateDir | undefined;

  constructor(loaded: IdentityState, gatewayUrl: string, hub: GatewayHub) {
    this.issuer = `${gatewayUrl}${ISSUER_PATH}`;
    this.tokenEndpoint = `${this.issuer}/token`;
    this.jwksUri = `${this.issuer}/jwks`;
    this.verificationUri = `${gatewayUrl}/device`;
    this.options = loaded.options;
    this.key = loaded.key;
    this.clientBook = loaded.clients;
    this.#state = loaded.state;
    this.#hub = hub;
    this.devices = new DeviceBook({
      deviceCodeTtlMs: loaded.options.deviceCodeTtlMs,
      pollIntervalMs: loaded.options.pollIntervalMs,
      autoApprove: loaded.options.autoApprove,
      verificationUri: this.verificationUri,
      onChange: (code) => hub.events.emit('identity:device-code', code),
    });
  }

  /** RFC 8414 metadata, served at `{issuer}/.well-known/oauth-authorization-server`. */
  metadata(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      token_endpoint: this.tokenEndpoint,
      device_authorization_endpoint: `${this.issuer}/device_authorization`,
      registration_endpoint: `${this.issuer}/register`,
      jwks_uri: this.jwksUri,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      response_types_supported: [],
      scopes_supported: ['neuron:enroll'],
    };
  }

  /** Whether `pathname` is one of the provider's (`/moku/…`, or RFC 8414's well-known form). */
  owns(pathname: string): boolean {
    return OAUTH_PATHS.has(pathname);
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    return handleOAuth(this, req, res, url);
  }

  /**
   * AUTH.md §5 for a token that looks like a JWT: verified against this provider's JWKS, with
   * a `kind`; an enrolled client's token is refused once the client is revoked.
   */
  async identify(token: string): Promise<TokenIdentity | { problem: string }> {
    try {
      const claims = await this.key.verify(token, this.issuer);
      if (typeof claims.kind !== 'string' || claims.kind === '') {
        return { problem: 'the token has no kind claim' };
      }
      const sub = claims.sub!;
      if (claims.kind === 'neuron') {
        const client = this.clientBook.get(sub);
        if (!client) return { problem: `client ${sub} is not enrolled here` };
        if (client.revokedAt !== undefined) return { problem: `client ${sub} was revoked` };
      }
      const orgId = typeof claims.org_id === 'string' ? claims.org_id : undefined;
      return { kind: claims.kind, sub, ...(orgId !== undefined && { orgId }), via: 'jwt' };
    } catch (err) {
      if (err instanceof TokenRejected) return { problem: err.message };
      throw err;
    }
  }

  /** The `client_credentials` answer's token for an authenticated client. */
  async mintFor(client: ClientRecord): Promise<{ token: string; expiresIn: number }> {
    const expiresIn = seconds(this.options.tokenTtlMs);
    const token = await this.key.sign(
      {
        sub: client.clientId,
        client_id: client.clientId,
        kind: 'neuron',
        ...(client.orgId !== undefined && { org_id: client.orgId }),
        jti: randomUUID(),
      },
      { issuer: this.issuer, audience: AUDIENCE, expiresIn },
    );
    client.lastTokenAt = Date.now();
    return { token, expiresIn };
  }

  mintToken(options: MintTokenOptions): Promise<string> {
    return this.key.sign(
      {
        ...options.claims,
        sub: options.sub,
        kind: options.kind,
        ...(options.orgId !== undefined && { org_id: options.orgId }),
      },
      {
        issuer: this.issuer,
        audience: options.audience ?? AUDIENCE,
        expiresIn: options.expiresIn ?? seconds(this.options.tokenTtlMs),
        ...(options.notBefore !== undefined && { notBefore: options.notBefore }),
      },
    );
  }

  pendingDeviceCodes(): DeviceCodeInfo[] {
    return this.devices.pending();
  }

  approve(userCode: string): DeviceCodeInfo {
    return this.#decide(userCode, 'approved');
  }

  deny(userCode: string): DeviceCodeInfo {
    return this.#decide(userCode, 'denied');
  }

  clients(): ClientInfo[] {
    return this.clientBook.all().map((client) => this.clientInfo(client));
  }

  clientInfo(client: ClientRecord): ClientInfo {
    const { secretHash: _, ...shown } = client;
    return { ...shown, neurons: this.#streamsOf(client.clientId) };
  }

  /** Called by the registration endpoint once the client is persisted. */
  registered(client: ClientRecord): void {
    this.#hub.events.emit('identity:client', this.clientInfo(client));
  }

  async revokeClient(clientId: string, reason?: string): Promise<{ disconnected: string[] }> {
    const client = this.clientBook.get(clientId);
    if (!client) throw unknownClient(clientId, this.clientBook.all());
    if (client.revokedAt !== undefined) {
      throw new ConfigError(
        'NEURON_ERR_INVALID_STATE',
        `dev gateway: client ${clientId} is revoked already`,
      );
    }
    await this.clientBook.revoke(client, reason);
    // Its event names the neurons whose streams are about to close.
    const revoked = this.clientInfo(client);
    // AUTH.md §5, push-first: a `disconnect` frame, then the end of each of its streams.
    const disconnected: string[] = [];
    for (const entry of this.#hub.entries()) {
      if (!entry.channel.open || !isClient(entry.identity, clientId)) continue;
      const why = `client ${clientId} was revoked${reason ? `: ${reason}` : ''}; re-enroll`;
      this.#hub.send(entry, { type: 'disconnect', reason: why });
      entry.channel.end('disconnect');
      disconnected.push(entry.neuronId);
    }
    this.#hub.events.emit('identity:client', revoked);
    return { disconnected };
  }

  /** Resolves once every state write has landed. */
  flush(): Promise<void> {
    return this.#state?.flush() ?? Promise.resolve();
  }

  #decide(userCode: string, decision: 'approved' | 'denied'): DeviceCodeInfo {
    const result = this.devices.decide(userCode, decision);
    if (!('problem' in result)) return result.code;
    const message =
      result.problem === 'decided'
        ? `user code ${userCode} is ${result.code?.status} already`
        : `no pending user code ${userCode} (unknown or expired); pending: ${
            this.devices
              .pending()
              .map((code) => code.userCode)
              .join(', ') || 'none'
          }`;
    throw new ConfigError('NEURON_ERR_INVALID_STATE', `dev gateway: ${message}`);
  }

  #streamsOf(clientId: string): string[] {
    return [...this.#hub.entries()]
      .filter((entry) => entry.channel.open && isClient(entry.identity, clientId))
      .map((entry) => entry.neuronId);
  }
}

function isClient(identity: TokenIdentity | undefined, clientId: string): boolean {
  return identity?.kind === 'neuron' && identity.sub === clientId;
}

function unknownClient(clientId: string, all: ClientRecord[]): ConfigError {
  const known = all.map((client) => client.clientId).join(', ') || 'none';
  return new ConfigError(
    'NEURON_ERR_INVALID_STATE',
    `dev gateway: no client ${clientId} (enrolled: ${known})`,
  );
}
