// Notebooks carried in a URL fragment: the .md text, raw-deflated and base64url-encoded, so no server stores anything.
// Decoding reads hostile input: every size is bounded before (and while) it is allocated.
import { deflateSync, Inflate } from 'fflate';
import { NotebookFormatError } from './errors';
import { formatBytes } from '../format/numbers';
import { parseNotebook, serializeNotebook } from './format';
import type { Notebook } from './types';

/** The fragment key: `#nb=1.<base64url>`; the `1.` is the encoding version, so a later one can be told apart. */
export const SHARE_PARAM = 'nb';
const VERSION = '1';
/** Above this many characters a whole link is fragile in chat tools and some browsers; offer a .md file instead. */
export const SHARE_LINK_MAX_CHARS = 8 * 1024;
/** The most fragment characters decoded at all (the link is refused before base64 decoding past this). */
export const SHARE_FRAGMENT_MAX_CHARS = 256 * 1024;
/** The most notebook text a link may inflate to: a zip bomb stops here, not in memory. */
export const SHARE_TEXT_MAX_BYTES = 1024 * 1024;
// Inflate is fed in small slices so that one push cannot produce more than ~1032 times its size before the cap is seen.
const INFLATE_SLICE = 512;

export type ShareErrorCode = 'malformed' | 'too-large' | 'not-a-notebook' | 'unsupported-version';

/** A share link that cannot be opened; `message` is one line fit for the page. */
export class ShareLinkError extends Error {
  readonly code: ShareErrorCode;
  constructor(code: ShareErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShareLinkError';
    this.code = code;
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64_VALUE[B64URL.charCodeAt(i)] = i;

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const left = bytes.length - i;
    out += B64URL[(n >> 18) & 63] + B64URL[(n >> 12) & 63];
    if (left > 1) out += B64URL[(n >> 6) & 63];
    if (left > 2) out += B64URL[n & 63];
  }
  return out;
}

/** Strict base64url without padding; throws ShareLinkError on any other character or an impossible length. */
export function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new ShareLinkError('malformed', 'the share link is damaged (its data has an impossible length); ask for the link again');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_VALUE[c] : -1;
    if (v < 0) throw new ShareLinkError('malformed', `the share link is damaged (unexpected character at position ${i + 1} of its data); ask for the link again`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** The fragment (without `#`) that carries `nb`: front matter and cells, never run state. */
export function encodeShareFragment(nb: Notebook): string {
  const bytes = new TextEncoder().encode(serializeNotebook(nb));
  return `${SHARE_PARAM}=${VERSION}.${toBase64Url(deflateSync(bytes, { level: 9 }))}`;
}

/** The share payload in a fragment (`#nb=...` or `nb=...`), or null when the fragment is not a share link at all. */
export function sharePayload(fragment: string): string | null {
  const f = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  const prefix = `${SHARE_PARAM}=`;
  return f.startsWith(prefix) ? f.slice(prefix.length) : null;
}

/** Inflates raw deflate data, refusing to produce more than `maxBytes` (checked as the output arrives). */
export function inflateCapped(data: Uint8Array, maxBytes: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) throw new ShareLinkError('too-large', `the shared notebook inflates to more than ${formatBytes(maxBytes, 0)}; links are for small notebooks, use a .md file`);
    chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    if (data.length === 0) inflater.push(data, true);
    for (let off = 0; off < data.length; off += INFLATE_SLICE) {
      const end = Math.min(off + INFLATE_SLICE, data.length);
      inflater.push(data.subarray(off, end), end === data.length);
    }
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError('malformed', 'the share link is damaged (its data does not decompress); ask for the link again', { cause: e });
  }
  if (!ended) throw new ShareLinkError('malformed', 'the share link is cut short (its data ends early); ask for the link again');
  return joinChunks(chunks, total);
}

/** The chunks of a capped read as one array (`total`: their summed length, already checked against the cap). */
export function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * The notebook in a share fragment's payload (what follows `nb=`). Throws ShareLinkError with a one-line message for
 * anything else: an unknown version, a damaged or truncated link, more than the size caps, text that is not a notebook.
 */
export function decodeSharePayload(payload: string): Notebook {
  if (payload.length > SHARE_FRAGMENT_MAX_CHARS) {
    throw new ShareLinkError('too-large', `the share link is too long (${payload.length} characters; at most ${SHARE_FRAGMENT_MAX_CHARS} are read)`);
  }
  const dot = payload.indexOf('.');
  const version = dot < 0 ? '' : payload.slice(0, dot);
  if (dot < 0 || !/^\d{1,4}$/.test(version)) throw new ShareLinkError('malformed', 'the share link is damaged (no version marker); ask for the link again');
  if (version !== VERSION) throw new ShareLinkError('unsupported-version', `the share link uses format ${version}, which this version of the lab cannot read`);
  const data = payload.slice(dot + 1);
  if (!data) throw new ShareLinkError('malformed', 'the share link carries no notebook');
  const bytes = inflateCapped(fromBase64Url(data), SHARE_TEXT_MAX_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new ShareLinkError('not-a-notebook', 'the share link does not hold text (invalid UTF-8)', { cause: e });
  }
  return parseSharedText(text, 'the share link');
}

/** Parses text that came from outside (a link, a URL) as a notebook, with a message naming where it came from. */
export function parseSharedText(text: string, from: string): Notebook {
  try {
    return parseNotebook(text);
  } catch (e) {
    if (e instanceof NotebookFormatError) throw new ShareLinkError('not-a-notebook', `${from} is not a notebook: ${e.message}`, { cause: e });
    throw e;
  }
}

/** A share link for `nb` at `pageUrl` (the app's page that opens links); `fits` is false past `maxChars`. */
export function shareLink(nb: Notebook, pageUrl: string, maxChars = SHARE_LINK_MAX_CHARS): { url: string; length: number; fits: boolean } {
  const url = `${pageUrl.split('#')[0]}#${encodeShareFragment(nb)}`;
  return { url, length: url.length, fits: url.length <= maxChars };
}
