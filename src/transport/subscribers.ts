/** The callbacks subscribed to one transport, and calling them safely. */
import type { NeuronLogger } from '../logger.js';
import type { TransportCallbacks } from './types.js';

export type TransportEmit = <K extends keyof TransportCallbacks>(
  name: K,
  ...args: Parameters<NonNullable<TransportCallbacks[K]>>
) => void;

/**
 * `add` subscribes; `emit` calls every subscriber's callback of that name. One that throws is
 * logged and stops neither the others nor the transport.
 */
export function transportSubscribers(log: NeuronLogger): {
  add(callbacks: TransportCallbacks): void;
  emit: TransportEmit;
} {
  const subscribers: TransportCallbacks[] = [];
  return {
    add: (callbacks) => subscribers.push(callbacks),
    emit(name, ...args) {
      for (const subscriber of subscribers) {
        const callback = subscriber[name];
        if (!callback) continue;
        try {
          Reflect.apply(callback, subscriber, args);
        } catch (err) {
          log.warn({ err, callback: name }, 'a transport callback threw');
        }
      }
    },
  };
}
