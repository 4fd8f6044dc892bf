// `?notebook=<URL>`: fetches a notebook file from a URL (a raw GitHub file, a gist), bounded in size and time.
// The response is hostile input: only http(s), the body is read with a byte cap, and it must parse as a notebook.
import { joinChunks, parseSharedText, ShareLinkError } from './share';
import type { Notebook } from './types';

/** The most bytes read from a notebook URL; a notebook is text, so this is generous. */
export const URL_IMPORT_MAX_BYTES = 2 * 1024 * 1024;
export const URL_IMPORT_TIMEOUT_MS = 20_000;

/**
 * The URL to fetch for a link a person would paste: a GitHub file page becomes its raw file, a gist page its raw
 * text; anything else is used as given. Throws ShareLinkError for what is not an http(s) URL.
 */
export function rawNotebookUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new ShareLinkError('malformed', `"${input.slice(0, 80)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ShareLinkError('malformed', `only http(s) URLs can be imported, not ${url.protocol}`);
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.hostname === 'github.com' && parts.length >= 5 && parts[2] === 'blob') {
    return `https://raw.githubusercontent.com/${parts[0]}/${parts[1]}/${parts.slice(3).join('/')}`;
  }
  if (url.hostname === 'gist.github.com' && parts.length === 2) return `https://gist.githubusercontent.com/${parts[0]}/${parts[1]}/raw`;
  return url.href;
}

export interface FetchNotebookOptions {
  fetch?: typeof fetch;
  maxBytes?: number;
  timeoutMs?: number;
}

/** Fetches and parses the notebook at `input`. Every failure is a ShareLinkError with a one-line message. */
export async function fetchNotebook(input: string, opts: FetchNotebookOptions = {}): Promise<{ notebook: Notebook; url: string }> {
  const url = rawNotebookUrl(input);
  const maxBytes = opts.maxBytes ?? URL_IMPORT_MAX_BYTES;
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? URL_IMPORT_TIMEOUT_MS), credentials: 'omit', redirect: 'follow' });
  } catch (e) {
    const why = e instanceof Error && e.name === 'TimeoutError' ? 'it did not answer in time' : 'the network request failed (offline, or the server does not allow cross-origin reads)';
    throw new ShareLinkError('malformed', `could not fetch ${url}: ${why}`, { cause: e });
  }
  if (!res.ok) throw new ShareLinkError('malformed', `could not fetch ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(url, maxBytes);
  const type = res.headers.get('content-type') ?? '';
  // An HTML page is the usual mistake (a GitHub page instead of its raw file); say so rather than "no front matter".
  if (/^\s*text\/html/i.test(type)) throw new ShareLinkError('not-a-notebook', `${url} is a web page, not a notebook file; link to the raw .md file`);
  const bytes = await readCapped(res, maxBytes, url);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new ShareLinkError('not-a-notebook', `${url} is not text (invalid UTF-8)`, { cause: e });
  }
  return { notebook: parseSharedText(text, url), url };
}

function tooLarge(url: string, maxBytes: number) {
  return new ShareLinkError('too-large', `${url} is larger than ${Math.round(maxBytes / 1024)} KB, more than a notebook file should be`);
}

/** Reads a response body, cancelling the stream as soon as it passes `maxBytes` (a lying content-length included). */
async function readCapped(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  if (!res.body) {
    const all = new Uint8Array(await res.arrayBuffer());
    if (all.length > maxBytes) throw tooLarge(url, maxBytes);
    return all;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return joinChunks(chunks, total);
}
