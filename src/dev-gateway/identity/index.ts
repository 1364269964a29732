export { authenticate, STATIC_IDENTITY } from './authenticate.js';
export { identityRoutes } from './dev-routes.js';
export { namespaceRefusal, registrationRefusal } from './namespace.js';
export { AUDIENCE, ISSUER_PATH, resolveIdentityOptions } from './options.js';
export { IdentityProvider, loadIdentityState } from './provider.js';
export { defaultStateDir } from './state.js';
export type {
  ClientInfo,
  DevIdentity,
  DeviceCodeInfo,
  DeviceCodeStatus,
  IdentityOptions,
  MintTokenOptions,
  TokenIdentity,
} from './types.js';
