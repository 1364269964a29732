/**
 * The reference's event API: "Neuron extends EventEmitter from eventemitter3 — a drop-in for
 * Node's EventEmitter", and `const off = neuron.on(…); off()`. Both hold at once.
 */
import { Neuron, type NeuronLogger } from '@holokai/neuron-sdk';
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';

function neuron(errors: unknown[] = []): Neuron {
  const logger: NeuronLogger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (meta) => errors.push(meta),
  };
  return new Neuron({ gatewayUrl: 'http://127.0.0.1:1', neuronId: 'n', auth: () => 't', logger });
}

describe('Neuron as an EventEmitter', () => {
  it('is an eventemitter3 EventEmitter: emit, listeners, listenerCount, eventNames, removeAllListeners', () => {
    const n = neuron();
    const seen: string[] = [];
    const onClose = (reason: string): void => {
      seen.push(reason);
    };
    expect(n).toBeInstanceOf(EventEmitter);
    n.on('connection:close', onClose);
    n.addListener('error', () => {});
    expect(n.emit('connection:close', 'bye')).toBe(true);
    expect(n.emit('connection:open')).toBe(false);
    expect(seen).toEqual(['bye']);
    expect(n.listeners('connection:close')).toEqual([onClose]);
    expect(n.listenerCount('connection:close')).toBe(1);
    expect(n.eventNames()).toEqual(['connection:close', 'error']);
    n.removeListener('connection:close', onClose);
    expect(n.listenerCount('connection:close')).toBe(0);
    n.removeAllListeners();
    expect(n.eventNames()).toEqual([]);
  });

  it('chains on() like any EventEmitter, each call still adding to the neuron', () => {
    const n = neuron();
    const order: string[] = [];
    const chained = n
      .on('connection:open', () => order.push('a'))
      .on('connection:open', () => order.push('b'))
      .once('connection:open', () => order.push('once'));
    expect(chained).toBeInstanceOf(Neuron);
    expect(chained.neuronId).toBe('n');
    n.emit('connection:open');
    n.emit('connection:open');
    expect(order).toEqual(['a', 'b', 'once', 'a', 'b']);
  });

  it('returns from on() and once() a function that removes exactly that listener', () => {
    const n = neuron();
    const seen: string[] = [];
    const offA = n.on('connection:close', (r) => seen.push(`a:${r}`));
    n.on('connection:close', (r) => seen.push(`b:${r}`));
    const offOnce = n.once('connection:close', (r) => seen.push(`once:${r}`));
    offA();
    offOnce();
    n.emit('connection:close', 'x');
    expect(seen).toEqual(['b:x']);
    // Calling it again is harmless.
    offA();
    expect(n.listenerCount('connection:close')).toBe(1);
  });

  it('off() takes the listener as it was added, as eventemitter3 does', () => {
    const n = neuron();
    const listener = (): void => {};
    n.on('connection:open', listener).on('error', listener);
    n.off('connection:open', listener);
    expect(n.eventNames()).toEqual(['error']);
    n.off('error');
    expect(n.eventNames()).toEqual([]);
  });

  it('calls a listener with the context it was added with', () => {
    const n = neuron();
    const context = { calls: 0 };
    n.on(
      'connection:open',
      function (this: typeof context) {
        this.calls++;
      },
      context,
    );
    n.emit('connection:open');
    expect(context.calls).toBe(1);
  });

  it('logs a listener that throws, and still calls the others', () => {
    const errors: unknown[] = [];
    const n = neuron(errors);
    const seen: string[] = [];
    n.on('connection:close', () => {
      throw new Error('broken listener');
    }).on('connection:close', (reason) => seen.push(reason));
    expect(() => n.emit('connection:close', 'x')).not.toThrow();
    expect(seen).toEqual(['x']);
    expect(errors).toEqual([{ event: 'connection:close', err: 'Error: broken listener' }]);
  });
});
