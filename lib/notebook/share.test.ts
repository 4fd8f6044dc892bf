// Share links: round trips of generated notebooks, and hostile fragments (damaged, truncated, oversized, zip bombs).
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseNotebook, serializeNotebook } from './format';
import { stringifyFrontMatter } from './frontMatter';
import {
  decodeSharePayload,
  encodeShareFragment,
  fromBase64Url,
  inflateCapped,
  SHARE_FRAGMENT_MAX_CHARS,
  SHARE_LINK_MAX_CHARS,
  SHARE_TEXT_MAX_BYTES,
  ShareLinkError,
  shareLink,
  sharePayload,
  toBase64Url,
} from './share';
import type { Notebook } from './types';

const NB: Notebook = {
  frontMatter: { title: 'Shared — ünïcode ✓', description: 'from a colleague', defaults: { steps: 20 }, workshop: true },
  cells: [
    { id: 'c1', kind: 'markdown', source: '# Hello\n\nSome $x^2$ math.' },
    { id: 'c2', kind: 'code', source: 'const a = 2\n```\nconst s = `x`' },
  ],
};

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ShareLinkError) return e.code;
    throw e;
  }
  throw new Error('expected a ShareLinkError');
};
const payloadOf = (bytes: Uint8Array) => `1.${toBase64Url(bytes)}`;
const deflated = (text: string) => deflateSync(new TextEncoder().encode(text));

describe('base64url', () => {
  it('round-trips any bytes, and matches Node for the alphabet and padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = toBase64Url(bytes);
        expect(s).toBe(Buffer.from(bytes).toString('base64url'));
        expect(Array.from(fromBase64Url(s))).toEqual(Array.from(bytes));
      }),
    );
  });

  it('rejects characters outside the alphabet and impossible lengths', () => {
    expect(codeOf(() => fromBase64Url('ab+c'))).toBe('malformed');
    expect(codeOf(() => fromBase64Url('abcd='))).toBe('malformed');
    expect(codeOf(() => fromBase64Url('abcde'))).toBe('malformed');
    expect(codeOf(() => fromBase64Url('ab\u00e9c'))).toBe('malformed');
  });
});

describe('share fragments', () => {
  it('carry the notebook text: front matter and cells', () => {
    const fragment = encodeShareFragment(NB);
    expect(fragment).toMatch(/^nb=1\.[A-Za-z0-9_-]+$/);
    const back = decodeSharePayload(sharePayload(`#${fragment}`)!);
    expect(back).toEqual(parseNotebook(serializeNotebook(NB)));
    expect(back.frontMatter.workshop).toBe(true);
  });

  it('sharePayload ignores fragments that are not share links', () => {
    expect(sharePayload('')).toBeNull();
    expect(sharePayload('#section-2')).toBeNull();
    expect(sharePayload('#nb=1.abc')).toBe('1.abc');
  });

  it('shareLink says when the link is too long for chat tools', () => {
    const small = shareLink(NB, 'https://example.org/lab/open/#old');
    expect(small.fits).toBe(true);
    expect(small.url.startsWith('https://example.org/lab/open/#nb=1.')).toBe(true);
    // Pseudo-random text barely compresses: 12 KB of it cannot fit in 8 KB.
    let seed = 42;
    const noise = Array.from({ length: 12_000 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return String.fromCharCode(35 + ((seed >>> 16) % 56));
    }).join('');
    const big = shareLink({ frontMatter: { title: 'big' }, cells: [{ id: 'c1', kind: 'code', source: `const s = ${JSON.stringify(noise)}` }] }, 'https://x/open/');
    expect(big.fits).toBe(false);
    expect(big.length).toBeGreaterThan(SHARE_LINK_MAX_CHARS);
    expect(decodeSharePayload(sharePayload(big.url.split('#')[1])!).cells[0].source).toContain(JSON.stringify(noise));
  });

  it('a damaged, truncated or empty payload is "malformed", never a crash', () => {
    const payload = encodeShareFragment(NB).slice(3);
    expect(codeOf(() => decodeSharePayload(payload.slice(0, payload.length - 10)))).toBe('malformed');
    expect(codeOf(() => decodeSharePayload('1.'))).toBe('malformed');
    expect(codeOf(() => decodeSharePayload('no-version'))).toBe('malformed');
    expect(codeOf(() => decodeSharePayload('1.%%%'))).toBe('malformed');
    expect(codeOf(() => decodeSharePayload(payloadOf(new Uint8Array([0xff, 0xff, 0xff, 0xff]))))).toBe('malformed');
  });

  it('an unknown version says so', () => {
    expect(codeOf(() => decodeSharePayload('2.abcd'))).toBe('unsupported-version');
    expect(new ShareLinkError('malformed', 'x').name).toBe('ShareLinkError');
  });

  it('text that is not a notebook, or not UTF-8, is "not-a-notebook" with the reason', () => {
    let err: unknown;
    try {
      decodeSharePayload(payloadOf(deflated('just some words')));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShareLinkError);
    expect((err as ShareLinkError).code).toBe('not-a-notebook');
    expect((err as Error).message).toMatch(/^the share link is not a notebook: .*front matter/);
    expect(codeOf(() => decodeSharePayload(payloadOf(deflateSync(new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xc3, 0x28])))))).toBe('not-a-notebook');
  });

  it('a link longer than the fragment cap is refused before decoding', () => {
    expect(codeOf(() => decodeSharePayload(`1.${'A'.repeat(SHARE_FRAGMENT_MAX_CHARS)}`))).toBe('too-large');
  });

  it('a zip bomb stops at the cap instead of filling memory', () => {
    // 64 MB of zeros deflates to ~64 KB; the cap is 1 MB.
    const bomb = deflateSync(new Uint8Array(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(SHARE_FRAGMENT_MAX_CHARS);
    expect(codeOf(() => inflateCapped(bomb, SHARE_TEXT_MAX_BYTES))).toBe('too-large');
    expect(codeOf(() => decodeSharePayload(payloadOf(bomb)))).toBe('too-large');
  });

  it('inflateCapped returns exactly the data up to the cap', () => {
    const data = new Uint8Array(5000).map((_, i) => i % 251);
    expect(Array.from(inflateCapped(deflateSync(data), 5000))).toEqual(Array.from(data));
    expect(codeOf(() => inflateCapped(deflateSync(data), 4999))).toBe('too-large');
    expect(inflateCapped(deflateSync(new Uint8Array(0)), 10).length).toBe(0);
  });
});

// Generated notebooks, written as the app writes them, survive the link; random payloads never throw anything else.
const line = fc.stringMatching(/^[a-zé✓#*_`~ ${}()=;.-]{0,16}$/);
const cellArb = fc.oneof(
  fc.array(line, { minLength: 1, maxLength: 4 }).map((ls) => ({ kind: 'markdown' as const, source: ls.join('\n').trim() || 'text' })),
  fc.array(line, { maxLength: 5 }).map((ls) => ({ kind: 'code' as const, source: ls.join('\n') })),
);
const notebookArb = fc
  .tuple(fc.string({ minLength: 1 }).filter((t) => t.trim() !== ''), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.array(cellArb, { maxLength: 6 }))
  .map(([title, extra, cells]) => parseNotebook(`---\n${stringifyFrontMatter({ ...extra, title })}---\n\n${serializeNotebook({ frontMatter: { title }, cells: cells.map((c, i) => ({ ...c, id: `c${i + 1}` })) }).split('---\n').slice(2).join('---\n')}`));

describe('generated', () => {
  it('decode(encode(nb)) equals nb for notebooks the app can write', () => {
    fc.assert(
      fc.property(notebookArb, (nb) => {
        expect(decodeSharePayload(sharePayload(encodeShareFragment(nb))!)).toEqual(nb);
      }),
      { numRuns: 150 },
    );
  });

  it('any payload either decodes or throws a ShareLinkError', () => {
    const payload = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => `1.${toBase64Url(b)}`),
      fc.string({ maxLength: 300 }).map((t) => `1.${toBase64Url(deflateSync(new TextEncoder().encode(t)))}`),
    );
    fc.assert(
      fc.property(payload, (p) => {
        try {
          decodeSharePayload(p);
        } catch (e) {
          expect(e).toBeInstanceOf(ShareLinkError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
