/** Public types of the dev gateway's identity provider (AUTH.md, "Moku's part"). */

/** Options of `createDevGateway({ identity })`. Every one is optional. */
export interface IdentityOptions {
  /**
   * Lifetime of an access token minted by the `client_credentials` grant. The wire's
   * `expires_in` and the JWT's `exp` are in seconds: rounded up.
   * @default 300000 (5 minutes)
   */
  tokenTtlMs?: number;
  /**
   * How long a device code (and its user code) may wait for approval. `expires_in` on the wire
   * is rounded up to whole seconds; the gateway itself counts milliseconds.
   * @default 600000 (10 minutes)
   */
  deviceCodeTtlMs?: number;
  /**
   * The polling interval a device code asks for (`interval`, rounded up to whole seconds). A poll
   * sooner than this after the previous one gets `slow_down`, and the code's interval grows by
   * 5 s, as RFC 8628 §3.5 has the client do.
   * @default 5000
   */
  pollIntervalMs?: number;
  /**
   * The `org_id` claim of the tokens minted for clients enrolled from now on (a client keeps the
   * org it was enrolled in). Lets a neuron advertise `org/{orgId}/*`.
   * @default undefined (no org_id claim)
   */
  orgId?: string;
  /**
   * Approve every device code as soon as it is issued: the first poll gets the token. For tests
   * and unattended demos.
   * @default false
   */
  autoApprove?: boolean;
  /**
   * The signing algorithm of the key made at start (and kept in `stateDir`). A persisted key of
   * the other algorithm is replaced, which only ends tokens already minted.
   * @default 'ES256'
   */
  algorithm?: 'ES256' | 'RS256';
}

/** Who a request's bearer token says it is: AUTH.md §5's claims. */
export interface TokenIdentity {
  /** `neuron` (an enrolled client), `user`, `service` (the static dev token counts as one). */
  kind: string;
  /** The client id, or the user id for user tokens. */
  sub: string;
  orgId?: string;
  /** `static` for the dev token (or an `acceptToken` token), `jwt` for a verified JWT. */
  via: 'static' | 'jwt';
}

/** What {@link DevIdentity.mintToken} signs: any identity, for tests. */
export interface MintTokenOptions {
  kind: string;
  sub: string;
  orgId?: string;
  /** @default 'bigbrain' */
  audience?: string | string[];
  /** Seconds from now; negative for a token already expired. @default the token TTL */
  expiresIn?: number;
  /** Seconds from now the token becomes valid (`nbf`). @default now */
  notBefore?: number;
  /** Extra claims. */
  claims?: Record<string, unknown>;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'collected' | 'expired';

/** A device authorization as the approval screen shows it (never its device_code). */
export interface DeviceCodeInfo {
  userCode: string;
  status: DeviceCodeStatus;
  /** The `client_name` display hint. */
  clientName?: string;
  /** The `capabilities` display hint, split on commas. */
  capabilities: string[];
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  verificationUriComplete: string;
}

/** An enrolled client. Its secret is never shown again after registration. */
export interface ClientInfo {
  clientId: string;
  clientName?: string;
  capabilities: string[];
  orgId?: string;
  /** Epoch ms. */
  createdAt: number;
  revokedAt?: number;
  revokeReason?: string;
  /** When it last got an access token (epoch ms). */
  lastTokenAt?: number;
  /** Neurons with an open stream under this client's tokens. */
  neurons: string[];
}

/**
 * The identity provider of a dev gateway, `gw.identity`: its URLs and the operator's actions,
 * which the `/__dev__/identity/…` routes and the `neuron` CLI use too.
 */
export interface DevIdentity {
  /** `{gatewayUrl}/moku`: the `mokuUrl` to enroll against, equal to the metadata's `issuer`. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  /** Where a person approves a user code (the dashboard's Identity panel). */
  readonly verificationUri: string;
  /** Device codes waiting for a decision, oldest first. */
  pendingDeviceCodes(): DeviceCodeInfo[];
  /** Approves a pending user code (case and dashes do not matter). Throws a `ConfigError` if unknown. */
  approve(userCode: string): DeviceCodeInfo;
  deny(userCode: string): DeviceCodeInfo;
  /** Every enrolled client, revoked ones included, oldest first. */
  clients(): ClientInfo[];
  /**
   * Revokes a client: its streams get a `disconnect` frame and end, its tokens are refused from
   * now on, and its next token request gets `invalid_client`. Resolves once persisted.
   */
  revokeClient(clientId: string, reason?: string): Promise<{ disconnected: string[] }>;
  /** Signs a token with the provider's key, as it would mint one: for tests of the gateway's checks. */
  mintToken(options: MintTokenOptions): Promise<string>;
}
