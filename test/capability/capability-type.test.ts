import { describe, expect, it } from 'vitest';
import {
  assertCapabilityType,
  assertConcurrency,
  assertScope,
  isCapabilityType,
} from '../../src/capability/index.js';
import { ConfigError } from '../../src/errors.js';
import { catchError } from './helpers.js';

describe('capability type syntax', () => {
  it.each([
    'acme/tools',
    'acme/tools/echo',
    'acme/tools/echo.v2',
    'core/script.python',
    'desktop/mcp/drive.read',
    'org/org_42/my-tool/run.fast',
    'A-b_c.d/E1',
  ])('accepts %s', (type) => {
    expect(isCapabilityType(type)).toBe(true);
    expect(() => assertCapabilityType(type)).not.toThrow();
  });

  it.each([
    ['', /is empty/],
    ['echo', /at least two '\/'-separated segments/],
    ['acme//echo', /empty segment/],
    ['/acme/echo', /empty segment/],
    ['acme/echo/', /empty segment/],
    ['acme/to ols', /contains " "/],
    ['acme/tööls', /contains "ö"/],
    ['acme:tools/echo', /contains ":"/],
  ])('rejects %j', (type, why) => {
    expect(isCapabilityType(type)).toBe(false);
    expect(() => assertCapabilityType(type)).toThrow(why);
  });

  it('rejects a value that is not a string', () => {
    expect(isCapabilityType(42)).toBe(false);
    expect(() => assertCapabilityType(undefined)).toThrow(/must be a string/);
  });

  it('shows a valid example in every type error', () => {
    for (const bad of ['', 'echo', 'a//b', 'a b/c', 7]) {
      const error = catchError(() => assertCapabilityType(bad));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ code: 'NEURON_ERR_INVALID_CAPABILITY' });
      expect(error.message).toContain("'acme/tools/echo'");
    }
  });
});

describe('scope', () => {
  it("accepts 'any' and { onBehalfOf } with a user id", () => {
    expect(() => assertScope('any', 'acme/echo')).not.toThrow();
    expect(() => assertScope({ onBehalfOf: 'user:abc' }, 'acme/echo')).not.toThrow();
  });

  it.each([
    ['all', /scope must be 'any' or \{ onBehalfOf/],
    [null, /scope must be 'any'/],
    [{}, /scope must be 'any'/],
    [{ onBehalfOf: '' }, /onBehalfOf must be a non-empty user id/],
    [{ onBehalfOf: '  ' }, /onBehalfOf must be a non-empty user id/],
    [{ onBehalfOf: 42 }, /onBehalfOf must be a non-empty user id string, got 42/],
  ])('rejects %j, naming the capability', (scope, why) => {
    const error = catchError(() => assertScope(scope, 'acme/echo'));
    expect(error).toMatchObject({ code: 'NEURON_ERR_INVALID_CAPABILITY' });
    expect(error.message).toMatch(why);
    expect(error.message).toContain("capability 'acme/echo'");
  });
});

describe('concurrency', () => {
  it('accepts integers from 1 up', () => {
    for (const n of [1, 4, 1000]) expect(() => assertConcurrency(n, 'acme/echo')).not.toThrow();
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '4', undefined])(
    'rejects %s, naming the capability',
    (n) => {
      const error = catchError(() => assertConcurrency(n, 'acme/echo'));
      expect(error).toMatchObject({ code: 'NEURON_ERR_INVALID_CAPABILITY' });
      expect(error.message).toMatch(
        /^capability 'acme\/echo': concurrency must be an integer ≥ 1, got /,
      );
    },
  );
});
