/**
 * The slice of oidc-provider 9's API the test IdP uses (the package ships no types).
 */
import type { IncomingHttpHeaders, RequestListener } from 'node:http';

type Json = Record<string, unknown>;

export interface OidcContext {
  body?: Record<string, unknown>;
  client?: { clientId: string; metadata(): Json };
  entities: { InitialAccessToken?: { destroy(): Promise<void> } };
}

export interface KoaContext {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  get(header: string): string;
  oidc: OidcContext;
}

interface StoredToken {
  clientId: string;
  accountId?: string;
  scopes: Set<string>;
  destroy(): Promise<void>;
}

interface DeviceCode {
  clientId: string;
  params: Json;
  save(): Promise<string>;
}

export interface Adapter {
  find(id: string): Promise<Json | undefined>;
  upsert(id: string, payload: Json, expiresIn?: number): Promise<void>;
  destroy(id: string): Promise<void>;
}

export interface ProviderInstance {
  issuer: string;
  callback(): RequestListener;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  AccessToken: { find(value: string): Promise<StoredToken | undefined> };
  InitialAccessToken: new (init: {
    expiresIn: number;
    policies: string[];
  }) => { save(): Promise<string> };
  DeviceCode: { findByUserCode(userCode: string): Promise<DeviceCode | undefined> };
  Grant: new (init: {
    accountId: string;
    clientId: string;
  }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
  Client: { adapter: Adapter };
}

export interface ProviderConfiguration {
  jwks: { keys: Json[] };
  clients: Json[];
  clientDefaults: Json;
  scopes: string[];
  extraParams: string[];
  extraClientMetadata: {
    properties: string[];
    validator(ctx: KoaContext, key: string, value: unknown, metadata: Json): void;
  };
  findAccount(
    ctx: KoaContext,
    accountId: string,
  ): { accountId: string; claims(): Json } | Promise<{ accountId: string; claims(): Json }>;
  features: {
    devInteractions: { enabled: boolean };
    deviceFlow: { enabled: boolean };
    clientCredentials: { enabled: boolean };
    registration: {
      enabled: boolean;
      initialAccessToken: boolean;
      issueRegistrationAccessToken: boolean;
      policies: Record<string, (ctx: KoaContext, properties: Json) => Promise<void> | void>;
    };
    resourceIndicators: {
      enabled: boolean;
      defaultResource(
        ctx: KoaContext,
        client: unknown,
        oneOf?: string[],
      ): string | string[] | undefined;
      useGrantedResource(): boolean;
      getResourceServerInfo(ctx: KoaContext, resource: string): Json;
    };
  };
  extraTokenClaims(ctx: KoaContext, token: { kind: string }): Promise<Json | undefined>;
  ttl: Record<string, number | (() => number)>;
}

type ErrorClass = new (description?: string) => Error;

export interface OidcProviderModule {
  default: new (issuer: string, configuration: ProviderConfiguration) => ProviderInstance;
  errors: { InvalidTarget: ErrorClass; InvalidClientMetadata: ErrorClass };
}
