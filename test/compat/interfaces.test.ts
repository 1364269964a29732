/**
 * The SDK's types against the interfaces the reference prints (`reference/interfaces.ts`). What a
 * user gives the SDK, written to the reference, must be accepted; what the SDK gives a user must
 * fit the reference's type. These are compile-time checks: `tsc` (in `npm test`) fails on them.
 */
import {
  type AuthCallback,
  type CapabilityRegistration,
  type Handler,
  type HandlerContext,
  HttpTransport,
  type HttpTransportOptions,
  type Neuron,
  type NeuronEventMap,
  type NeuronListener,
  type NeuronLogger,
  type ServerToNeuronFrame,
  type StopOptions,
  type Transport,
  type TransportCallbacks,
} from '@holokai/neuron-sdk';
import {
  IpcTransport,
  type IpcTransportOptions,
  type NeuronIpcBridge,
} from '@holokai/neuron-sdk/ipc';
import type { EventEmitter } from 'eventemitter3';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  RefAuthCallback,
  RefCapabilityRegistration,
  RefEventPayloads,
  RefHandler,
  RefHandlerContext,
  RefHttpTransportOptions,
  RefIpcTransportOptions,
  RefNeuronIpcBridge,
  RefNeuronLogger,
  RefNeuronOptions,
  RefStopOptions,
  RefTransport,
  RefTransportCallbacks,
} from './reference/interfaces.js';

type NeuronConstructorOptions = ConstructorParameters<typeof Neuron>[0];

describe('what a user gives the SDK, typed as the reference prints it, is accepted', () => {
  it('options, registrations, handlers, loggers and auth callbacks', () => {
    expectTypeOf<RefNeuronOptions>().toExtend<NeuronConstructorOptions>();
    expectTypeOf<RefCapabilityRegistration>().toExtend<CapabilityRegistration>();
    expectTypeOf<RefHandler>().toExtend<Handler>();
    expectTypeOf<RefNeuronLogger>().toExtend<NeuronLogger>();
    expectTypeOf<RefAuthCallback>().toExtend<AuthCallback>();
    expectTypeOf<RefStopOptions>().toExtend<StopOptions>();
  });

  it('a hand-built handler context (the Developer’s Guide’s unit tests)', () => {
    expectTypeOf<RefHandlerContext>().toExtend<HandlerContext>();
  });

  it('transports, their callbacks and options, and the IPC bridge', () => {
    expectTypeOf<RefTransport>().toExtend<Transport>();
    expectTypeOf<RefTransportCallbacks>().toExtend<TransportCallbacks>();
    expectTypeOf<RefHttpTransportOptions>().toExtend<HttpTransportOptions>();
    expectTypeOf<RefNeuronIpcBridge>().toExtend<NeuronIpcBridge>();
    expectTypeOf<RefIpcTransportOptions>().toExtend<IpcTransportOptions>();
  });

  it('a frame listener typed with the documented frame union', () => {
    expectTypeOf<(frame: ServerToNeuronFrame) => void>().toExtend<NeuronListener<'frame'>>();
  });
});

describe('what the SDK gives a user fits the reference’s types', () => {
  it('the handler context', () => {
    expectTypeOf<HandlerContext>().toExtend<RefHandlerContext>();
  });

  it('the event payloads', () => {
    type Payload<E extends keyof RefEventPayloads> = NeuronEventMap[E] extends [
      infer P,
      ...unknown[],
    ]
      ? P
      : never;
    type RefPayload<E extends keyof RefEventPayloads> = RefEventPayloads[E][0];
    expectTypeOf<NeuronEventMap['connection:open']>().toEqualTypeOf<[]>();
    expectTypeOf<Payload<'connection:registered'>>().toExtend<
      RefPayload<'connection:registered'>
    >();
    expectTypeOf<Payload<'connection:close'>>().toExtend<RefPayload<'connection:close'>>();
    expectTypeOf<Payload<'connection:reconnecting'>>().toExtend<
      RefPayload<'connection:reconnecting'>
    >();
    expectTypeOf<Payload<'error'>>().toExtend<RefPayload<'error'>>();
  });

  it('the shipped transports, where the reference’s Transport is expected', () => {
    expectTypeOf<HttpTransport>().toExtend<RefTransport>();
    expectTypeOf<IpcTransport>().toExtend<RefTransport>();
    expectTypeOf<NeuronIpcBridge>().toExtend<RefNeuronIpcBridge>();
  });

  it('Neuron, an eventemitter3 EventEmitter of its event map', () => {
    expectTypeOf<Neuron>().toExtend<EventEmitter<NeuronEventMap>>();
    expect(HttpTransport).toBeTypeOf('function');
    expect(IpcTransport).toBeTypeOf('function');
  });
});
