import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8ByteLength } from '../../src/protocol/utf8.js';

describe('utf8ByteLength (the frame and schema size limits, without Buffer)', () => {
  it('agrees with TextEncoder on any string, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8ByteLength(text)).toBe(encoder.encode(text).byteLength);
      }),
      { numRuns: 2_000 },
    );
  });

  it('counts 1 to 4 bytes per code point', () => {
    expect(['a', 'é', '€', '😀', '\ud800', '\udc00', 'a\ud83d'].map(utf8ByteLength)).toEqual([
      1, 2, 3, 4, 3, 3, 4,
    ]);
  });
});
