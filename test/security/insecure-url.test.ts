/**
 * `http://` to a host that is not loopback is refused unless `allowInsecure: true` (the token
 * would travel in clear text): checked at construction, before any request, for the spellings a
 * careless or hostile configuration might use. Extends test/e2e/api.test.ts.
 */
import { ConfigError, HttpTransport, Neuron } from '@holokai/neuron-sdk';
import { describe, expect, it } from 'vitest';

const auth = () => 'never-sent';

const refused = [
  'http://gateway.example.com',
  'HTTP://GATEWAY.EXAMPLE.COM/',
  'http://10.0.0.5:8080',
  'http://192.168.1.10',
  'http://0.0.0.0:7777',
  'http://[::]:7777',
  'http://[fe80::1]',
  'http://127.0.0.1.nip.io',
  'http://localhost.evil.com',
  'http://evil.com#@127.0.0.1',
  'http://[::ffff:10.0.0.1]',
];

const loopback = [
  'http://127.0.0.1:7777',
  'http://127.1.2.3',
  'http://localhost:7777/base/',
  'http://LOCALHOST',
  'http://[::1]:7777',
  'http://2130706433', // 127.0.0.1 in decimal: URL normalises it
  'http://0x7f000001',
];

describe('http:// to a non-loopback host', () => {
  it.each(refused)('is refused for %s, by Neuron and by HttpTransport, naming the fix', (url) => {
    for (const make of [
      () => new Neuron({ gatewayUrl: url, neuronId: 'n', auth }),
      () => new HttpTransport({ gatewayUrl: url, neuronId: 'n', auth }),
    ]) {
      let error: unknown;
      try {
        make();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('NEURON_ERR_INVALID_OPTIONS');
      expect((error as Error).message).toMatch(/http:\/\/|query string or fragment|not carry/);
    }
  });

  it.each(refused.filter((u) => !u.includes('#')))(
    'is allowed for %s with allowInsecure: true',
    (url) => {
      expect(
        new Neuron({ gatewayUrl: url, neuronId: 'n', auth, allowInsecure: true }).getState(),
      ).toBe('idle');
    },
  );

  it.each(loopback)('is allowed for the loopback spelling %s', (url) => {
    expect(new Neuron({ gatewayUrl: url, neuronId: 'n', auth }).getState()).toBe('idle');
  });

  it('refuses an allowInsecure that is not a boolean (a string "false" must not switch it on)', () => {
    expect(
      () =>
        new Neuron({
          gatewayUrl: 'http://gateway.example.com',
          neuronId: 'n',
          auth,
          allowInsecure: 'false' as unknown as boolean,
        }),
    ).toThrow(/allowInsecure must be a boolean/);
  });
});
