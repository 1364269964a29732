export {
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionMachine,
  type ConnectionNotification,
  connectionMachine,
  type ReconnectSettings,
  reconnectDelay,
} from './connection.js';
export {
  type DrainContext,
  type DrainEvent,
  type DrainInput,
  type DrainMachine,
  type DrainRequest,
  drainMachine,
} from './drain.js';
export {
  type LeaseContext,
  type LeaseEvent,
  type LeaseInput,
  type LeaseMachine,
  type LeaseNotification,
  type LeaseSettled,
  leaseMachine,
  type Outcome,
  outcomeRetryDelay,
  type PostOutcomeInput,
  type RunHandlerInput,
  type Settlement,
} from './lease.js';
export {
  type CapabilityState,
  type HeartbeatAnswered,
  inFlightOf,
  type LeasePoolEmitted,
  type LeasePoolEvent,
  type LeasePoolInput,
  type LeasePoolLogic,
  type LeasePoolNotification,
  type LeasePoolSnapshot,
  leasePool,
  type PoolLease,
} from './lease-pool.js';
export {
  type HeartbeatInput,
  type HeartbeatOutput,
  LEASE_POOL,
  type NeuronContext,
  type NeuronEmitted,
  type NeuronEvent,
  type NeuronMachine,
  type NeuronMachineEmitted,
  type NeuronMachineInput,
  neuronMachine,
} from './neuron.js';
export {
  LeaseQueue,
  SLOT_RULES,
  type SlotCounts,
  type SlotEvent,
  type SlotRule,
  type SlotStep,
  slotTransition,
} from './slots.js';
export { fromTask, type TaskLogic, type TaskSnapshot } from './task.js';
