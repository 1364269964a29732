export type { Outcome, Settlement } from '../machines/lease.js';
export type {
  CapabilityDefinition,
  CapabilityOverrides,
  CapabilityRegistration,
  InferInput,
  InferOutput,
} from './capability/index.js';
export { defineCapability } from './capability/index.js';
export {
  AuthCallbackError,
  BadStreamError,
  ConfigError,
  FrameError,
  type FrameErrorReason,
  GatewayAnswerError,
  GatewayStatusError,
  isNeuronError,
  LeaseAbortedError,
  type LeaseAbortReason,
  NetworkError,
  NeuronError,
  type NeuronErrorCode,
  RegistrationRejectedError,
  RequestTimeoutError,
  TaskFailedError,
} from './errors.js';
export { type NeuronLogger, silentLogger } from './logger.js';
export type { Handler, HandlerContext } from './neuron/context.js';
export type {
  LeaseReceivedInfo,
  LeaseSettledInfo,
  NeuronEventMap,
  NeuronEventName,
  NeuronListener,
  RegisteredInfo,
  Subscription,
  Unsubscribe,
} from './neuron/events.js';
export { Neuron, type NeuronRunOptions, type StopOptions } from './neuron/neuron.js';
export type {
  NeuronCommonOptions,
  NeuronOptions,
  NeuronOptionsWithHttp,
  NeuronOptionsWithTransport,
} from './neuron/options.js';
export type {
  CapabilitySnapshot,
  LeaseSnapshot,
  NeuronSnapshot,
  NeuronState,
} from './neuron/snapshot.js';
export type { LoopBlockedInfo } from './neuron/watchdog.js';
export * from './protocol/frames.js';
export { frameSchemas } from './protocol/validate-frame.js';
export {
  HttpTransport,
  type HttpTransportOptions,
  type UndiciDispatcher,
} from './transport/http-transport.js';
export type {
  AuthCallback,
  AuthRequest,
  ReconnectInfo,
  ReconnectPolicy,
  Transport,
  TransportCallbacks,
} from './transport/types.js';
export { SDK_NAME, SDK_VERSION } from './version.js';
