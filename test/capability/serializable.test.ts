import { describe, expect, it } from 'vitest';
import { checkJsonSerializable } from '../../src/capability/validator.js';

describe('checkJsonSerializable', () => {
  it.each([
    ['an object', { a: 1, b: [true, null, 'x'] }],
    ['a string', 'done'],
    ['zero', 0],
    ['null', null],
    ['nothing (acked as null)', undefined],
    ['a Date, sent as its ISO string', new Date(0)],
    ['an object with undefined fields, which are dropped', { a: undefined, b: 1 }],
    [
      'a shared, non-circular reference',
      (() => {
        const shared = { n: 1 };
        return { a: shared, b: shared };
      })(),
    ],
    ['a BigInt with a toJSON()', { id: Object.assign(Object(1n), { toJSON: () => '1' }) }],
  ])('accepts %s', (_name, value) => {
    expect(checkJsonSerializable(value)).toEqual({ ok: true });
  });

  it('refuses a circular reference', () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    expect(checkJsonSerializable(value)).toEqual({
      ok: false,
      reason: 'it contains a circular reference',
    });
  });

  it('refuses a BigInt, saying where it is', () => {
    expect(checkJsonSerializable({ ids: [1, 2n] })).toEqual({
      ok: false,
      reason: 'a BigInt at /ids/1',
    });
    expect(checkJsonSerializable(5n)).toEqual({ ok: false, reason: 'a BigInt at /' });
  });

  it('refuses NaN and infinities, which JSON would turn into null', () => {
    expect(checkJsonSerializable({ ratio: Number.NaN })).toEqual({
      ok: false,
      reason: 'NaN at /ratio has no JSON form',
    });
    expect(checkJsonSerializable({ 'a/b': [Number.NEGATIVE_INFINITY] })).toEqual({
      ok: false,
      reason: '-Infinity at /a~1b/0 has no JSON form',
    });
  });

  it('refuses a function or a symbol at the top level', () => {
    expect(checkJsonSerializable(() => 1)).toEqual({
      ok: false,
      reason: 'a function has no JSON form',
    });
    expect(checkJsonSerializable(Symbol('x'))).toEqual({
      ok: false,
      reason: 'a symbol has no JSON form',
    });
  });

  it('drops nested functions and symbols as JSON.stringify does', () => {
    expect(checkJsonSerializable({ a: () => 1, b: Symbol('x'), c: 1 })).toEqual({ ok: true });
  });

  it('refuses a value whose toJSON() throws', () => {
    const value = {
      toJSON: () => {
        throw new Error('nope');
      },
    };
    expect(checkJsonSerializable(value)).toEqual({
      ok: false,
      reason: 'serializing it threw: nope',
    });
  });
});
