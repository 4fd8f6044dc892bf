// Round trips, broken-UTF-8 tolerance and display labels of the byte tokenizer.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteLabel, byteLabels, createStreamDecoder, decode, encode, encodeIds, VOCAB_SIZE } from './tokenizer';
import { DataError } from './errors';

describe('byte tokenizer', () => {
  it('round-trips any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        expect(decode(encode(s))).toBe(s);
        expect(decode(encodeIds(s))).toBe(s);
      }),
    );
  });

  it('encodes to UTF-8 byte ids below the vocab size', () => {
    expect(Array.from(encode('aé€😀'))).toEqual([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        for (const id of encodeIds(s)) expect(id >= 0 && id < VOCAB_SIZE).toBe(true);
      }),
    );
  });

  it('decodes arbitrary bytes without throwing, and re-encoding a decode is stable', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = decode(bytes);
        // Broken sequences become U+FFFD, after which decode/encode is the identity.
        expect(decode(encode(text))).toBe(text);
      }),
    );
    expect(decode([0x61, 0xff, 0x62])).toBe('a\ufffdb');
    expect(decode([0xe2, 0x82])).toBe('\ufffd'); // a 3-byte character cut short
  });

  it('rejects ids that are not bytes', () => {
    expect(() => decode([256])).toThrow(DataError);
    expect(() => decode(Int32Array.of(-1))).toThrow(/not a byte/);
    expect(() => decode([1.5])).toThrow(DataError);
  });

  it('streams multi-byte characters without emitting partial ones', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
        const dec = createStreamDecoder();
        let out = '';
        for (const b of encode(s)) {
          const piece = dec.push(b);
          expect(piece.includes('\ufffd')).toBe(false);
          out += piece;
        }
        expect(out + dec.flush()).toBe(s);
      }),
    );
    const dec = createStreamDecoder();
    expect(dec.push([0xe2, 0x82])).toBe('');
    expect(dec.flush()).toBe('\ufffd');
  });
});

describe('byteLabel', () => {
  it('has readable labels for whitespace and printable ASCII', () => {
    expect(byteLabel(0x0a)).toBe('⏎');
    expect(byteLabel(0x20)).toBe('␣');
    expect(byteLabel(0x41)).toBe('A');
    expect(byteLabel(0x7f)).toBe('\\x7f');
    expect(byteLabel(0xc3)).toBe('\\xc3');
    expect(byteLabels(encode('a b\n'))).toEqual(['a', '␣', 'b', '⏎']);
  });

  it('gives every byte a distinct, non-empty, visible label', () => {
    const labels = Array.from({ length: 256 }, (_, i) => byteLabel(i));
    expect(new Set(labels).size).toBe(256);
    for (const l of labels) expect(l.trim().length).toBeGreaterThan(0);
    expect(() => byteLabel(256)).toThrow(DataError);
  });
});
