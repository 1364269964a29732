import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { HttpTransport, type HttpTransportOptions } from '../../src/transport/http-transport.js';

const valid: HttpTransportOptions = {
  gatewayUrl: 'https://gateway.example.com',
  neuronId: 'worker-1',
  auth: () => 'token',
};

function optionError(overrides: Record<string, unknown>): ConfigError {
  try {
    new HttpTransport({ ...valid, ...overrides } as HttpTransportOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'NEURON_ERR_INVALID_OPTIONS' });
    return err as ConfigError;
  }
  throw new Error(`options were accepted: ${JSON.stringify(Object.keys(overrides))}`);
}

describe('HttpTransport options', () => {
  it('refuses http:// to a non-loopback host unless allowInsecure is set', () => {
    const error = optionError({ gatewayUrl: 'http://gateway.example.com' });
    expect(error.message).toMatch(/clear text.*https:\/\/.*allowInsecure: true/);
    expect(
      () =>
        new HttpTransport({ ...valid, gatewayUrl: 'http://10.0.0.5:8080', allowInsecure: true }),
    ).not.toThrow();
  });

  it('allows http:// to localhost, 127.0.0.0/8 and ::1', () => {
    for (const gatewayUrl of [
      'http://localhost:8080',
      'http://127.0.0.1:8080/',
      'http://127.8.9.10',
      'http://[::1]:9000',
    ]) {
      expect(() => new HttpTransport({ ...valid, gatewayUrl })).not.toThrow();
    }
    optionError({ gatewayUrl: 'http://128.0.0.1' });
    optionError({ gatewayUrl: 'http://localhost.example.com' });
  });

  it('refuses a gatewayUrl that is not an absolute http(s) base URL', () => {
    expect(optionError({ gatewayUrl: '/neuron' }).message).toMatch(/absolute http\(s\) URL/);
    expect(optionError({ gatewayUrl: 42 }).message).toMatch(/absolute http\(s\) URL/);
    expect(optionError({ gatewayUrl: 'ws://gateway.example.com' }).message).toMatch(/ws:/);
    expect(optionError({ gatewayUrl: 'https://u:p@gateway.example.com' }).message).toMatch(
      /auth callback/,
    );
    expect(optionError({ gatewayUrl: 'https://gateway.example.com/?x=1' }).message).toMatch(
      /query string/,
    );
  });

  it('refuses a missing neuronId, a non-function auth and malformed collaborators', () => {
    expect(optionError({ neuronId: '' }).message).toMatch(/neuronId must be a non-empty string/);
    expect(optionError({ neuronId: undefined }).message).toMatch(/neuronId/);
    expect(optionError({ auth: 'token' }).message).toMatch(/auth must be a function/);
    expect(optionError({ fetch: {} }).message).toMatch(/fetch/);
    expect(optionError({ dispatcher: {} }).message).toMatch(/Dispatcher/);
    expect(optionError({ logger: 'console' }).message).toMatch(/logger/);
    expect(optionError({ allowInsecure: 'yes' }).message).toMatch(/allowInsecure/);
  });

  it('refuses a maxFrameBytes that is not a positive integer, naming the value', () => {
    expect(optionError({ maxFrameBytes: 0 }).message).toBe(
      'maxFrameBytes must be a positive integer, got 0',
    );
    expect(optionError({ maxFrameBytes: 1.5 }).message).toContain('got 1.5');
    expect(optionError({ maxFrameBytes: '100' }).message).toContain('got a string');
  });

  it('refuses delays that are not positive numbers of milliseconds a timer can hold', () => {
    for (const name of [
      'requestTimeoutMs',
      'initialReconnectDelayMs',
      'maxReconnectDelayMs',
      'idleTimeoutMs',
    ]) {
      expect(optionError({ [name]: 0 }).message).toBe(
        `${name} must be a positive number of milliseconds, got 0`,
      );
      expect(optionError({ [name]: Number.NaN }).message).toContain('got NaN');
      expect(optionError({ [name]: '100' }).message).toContain('got a string');
    }
    expect(optionError({ requestTimeoutMs: 2 ** 31 }).message).toMatch(/at most/);
    expect(
      optionError({ initialReconnectDelayMs: 1000, maxReconnectDelayMs: 500 }).message,
    ).toMatch(/maxReconnectDelayMs \(500\) must be ≥ initialReconnectDelayMs \(1000\)/);
    expect(optionError({ initialReconnectDelayMs: 40_000 }).message).toBe(
      'maxReconnectDelayMs (30000, the default) must be ≥ initialReconnectDelayMs (40000)',
    );
  });

  it('carries the reconnect numbers as given in reconnectPolicy', () => {
    expect(new HttpTransport(valid).reconnectPolicy).toEqual({
      initialReconnectDelayMs: undefined,
      maxReconnectDelayMs: undefined,
      idleTimeoutMs: undefined,
    });
    const transport = new HttpTransport({
      ...valid,
      initialReconnectDelayMs: 250,
      maxReconnectDelayMs: 10_000,
      idleTimeoutMs: 45_000,
    });
    expect(transport.reconnectPolicy).toEqual({
      initialReconnectDelayMs: 250,
      maxReconnectDelayMs: 10_000,
      idleTimeoutMs: 45_000,
    });
  });
});
