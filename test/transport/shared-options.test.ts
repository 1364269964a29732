/**
 * The options `new Neuron()` and `new HttpTransport()` share are checked by one set of rules: a
 * value gets the same verdict, and the same ConfigError message, whichever entry point takes it
 * (the neuron given a gatewayUrl, the neuron given a transport, the transport itself).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Neuron } from '../../src/neuron/neuron.js';
import type { NeuronOptions } from '../../src/neuron/options.js';
import { HttpTransport, type HttpTransportOptions } from '../../src/transport/http-transport.js';

const http = { gatewayUrl: 'https://gateway.example.com', neuronId: 'worker-1', auth: () => 't' };

/** The message each entry point throws for `overrides`, or `accepted`. */
function verdicts(overrides: Record<string, unknown>): Record<string, string> {
  const attempt = (create: () => unknown): string => {
    try {
      create();
      return 'accepted';
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ code: 'NEURON_ERR_INVALID_OPTIONS' });
      return (err as ConfigError).message;
    }
  };
  return {
    transport: attempt(() => new HttpTransport({ ...http, ...overrides } as HttpTransportOptions)),
    neuron: attempt(() => new Neuron({ ...http, ...overrides } as NeuronOptions)),
    neuronOverTransport: attempt(
      () =>
        new Neuron({
          neuronId: (overrides.neuronId ?? http.neuronId) as string,
          transport: new HttpTransport({ ...http, ...overrides } as HttpTransportOptions),
        }),
    ),
  };
}

/** Reconnect options given to the neuron itself over a valid transport. */
function neuronOwnVerdict(overrides: Record<string, unknown>): string {
  try {
    new Neuron({
      neuronId: 'n',
      transport: new HttpTransport(http),
      ...overrides,
    } as NeuronOptions);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

const same = (message: string) => ({
  transport: message,
  neuron: message,
  neuronOverTransport: message,
});

describe('options shared by new Neuron() and new HttpTransport()', () => {
  it.each([
    ['idleTimeoutMs', 0, 'idleTimeoutMs must be a positive number of milliseconds, got 0'],
    ['idleTimeoutMs', -5, 'idleTimeoutMs must be a positive number of milliseconds, got -5'],
    [
      'idleTimeoutMs',
      Number.POSITIVE_INFINITY,
      'idleTimeoutMs must be a positive number of milliseconds, got Infinity',
    ],
    [
      'initialReconnectDelayMs',
      '500',
      'initialReconnectDelayMs must be a positive number of milliseconds, got a string',
    ],
    [
      'maxReconnectDelayMs',
      2 ** 31,
      'maxReconnectDelayMs must be at most 2147483647 ms (about 24.8 days), got 2147483648',
    ],
    [
      'requestTimeoutMs',
      Number.NaN,
      'requestTimeoutMs must be a positive number of milliseconds, got NaN',
    ],
  ])('refuses %s: %s with one message from every entry point', (name, value, message) => {
    const expected = same(message);
    if (name !== 'requestTimeoutMs') {
      expect(neuronOwnVerdict({ [name]: value })).toBe(message);
    }
    // `new Neuron({ gatewayUrl })` hands requestTimeoutMs to its transport, and checks the rest.
    expect(verdicts({ [name]: value })).toEqual(expected);
  });

  it('checks the backoff order with the defaults standing in, wherever the values come from', () => {
    const message =
      'maxReconnectDelayMs (30000, the default) must be ≥ initialReconnectDelayMs (40000)';
    expect(verdicts({ initialReconnectDelayMs: 40_000 })).toEqual(same(message));
    expect(neuronOwnVerdict({ initialReconnectDelayMs: 40_000 })).toBe(message);
    // A neuron's own option and its transport's policy, each fine alone, are checked together.
    expect(
      neuronOwnVerdict({ transport: new HttpTransport({ ...http, maxReconnectDelayMs: 1_000 }) }),
    ).toBe('accepted');
    expect(
      (() => {
        try {
          new Neuron({
            neuronId: 'n',
            transport: new HttpTransport({ ...http, maxReconnectDelayMs: 1_000 }),
            initialReconnectDelayMs: 2_000,
          });
          return 'accepted';
        } catch (err) {
          return (err as Error).message;
        }
      })(),
    ).toBe('maxReconnectDelayMs (1000) must be ≥ initialReconnectDelayMs (2000)');
  });

  it('accepts the same values everywhere: fractional milliseconds included', () => {
    expect(verdicts({ idleTimeoutMs: 1.5, requestTimeoutMs: 2_500.5 })).toEqual(same('accepted'));
    expect(verdicts({ initialReconnectDelayMs: 40_000, maxReconnectDelayMs: 40_000 })).toEqual(
      same('accepted'),
    );
  });

  it('holds the neuron id, auth and logger to the same rules', () => {
    const blank =
      'neuronId must be a non-empty string that stays the same across restarts, e.g. worker-<hostname>';
    expect(verdicts({ neuronId: '   ' })).toEqual(same(blank));
    expect(neuronOwnVerdict({ neuronId: '   ' })).toBe(blank);
    expect(verdicts({ logger: { debug() {}, info() {}, warn() {} } })).toEqual(
      same('logger.error must be a function (pass a pino logger, or omit logger)'),
    );
    const { transport, neuron } = verdicts({ auth: 'my-token' });
    expect(neuron).toBe(transport);
    expect(transport).toMatch(/^auth must be a function returning the bearer token/);
  });
});
