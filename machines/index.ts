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
  leaseMachine,
  type Outcome,
  outcomeRetryDelay,
  type PostOutcomeInput,
  type RunHandlerInput,
  type Settlement,
} from './lease.js';
export {
  type LeaseDelivery,
  type LeasePoolEvent,
  type LeasePoolLogic,
  type LeasePoolSnapshot,
  leasePool,
} from './lease-pool.js';
export {
  type HeartbeatInput,
  type HeartbeatOutput,
  type LeaseEntry,
  type LeasePhase,
  LeaseTable,
  type NeuronContext,
  type NeuronEmitted,
  type NeuronEvent,
  type NeuronMachine,
  type NeuronMachineInput,
  neuronMachine,
} from './neuron.js';
export type { CapabilitySlots, SlotTable } from './slots.js';
