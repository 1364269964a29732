export { WaitError } from './events.js';
export { createDevGateway, type DevGateway } from './gateway.js';
export { defaultStateDir } from './identity/state.js';
export type {
  ClientInfo,
  DevIdentity,
  DeviceCodeInfo,
  DeviceCodeStatus,
  IdentityOptions,
  MintTokenOptions,
  TokenIdentity,
} from './identity/types.js';
export type { DevGatewayOptions, Refusal, RetryBackoff } from './options.js';
export { SETTLED_STATES } from './task-records.js';
export type {
  DevGatewayEventName,
  DevGatewayEvents,
  FaultSpec,
  GatewayPath,
  LeaseEnd,
  LeaseRecord,
  NeuronCapabilityInfo,
  NeuronInfo,
  ProgressRecord,
  RequestRecord,
  StreamCloseReason,
  TaskOutcome,
  TaskRecord,
  TaskSpec,
  TaskState,
  WaitOptions,
} from './types.js';
