// Importing a notebook from a URL against a fake fetch: raw-URL rewriting, failures, size caps, non-notebook content.
import { describe, expect, it } from 'vitest';
import { fetchNotebook, rawNotebookUrl } from './importUrl';
import { ShareLinkError } from './share';

const NOTEBOOK = '---\ntitle: From a gist\n---\n\n```js\n1 + 1\n```\n';

function fakeFetch(make: (url: string) => Response | Promise<Response>) {
  const calls: string[] = [];
  const f = (async (input: RequestInfo | URL) => {
    calls.push(String(input));
    return make(String(input));
  }) as typeof fetch;
  return { f, calls };
}

async function failure(p: Promise<unknown>): Promise<ShareLinkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ShareLinkError);
    return e as ShareLinkError;
  }
  throw new Error('expected a failure');
}

describe('rawNotebookUrl', () => {
  it('turns GitHub file pages and gists into their raw text', () => {
    expect(rawNotebookUrl('https://github.com/a/b/blob/main/notebooks/x.md')).toBe('https://raw.githubusercontent.com/a/b/main/notebooks/x.md');
    expect(rawNotebookUrl('https://gist.github.com/someone/abc123')).toBe('https://gist.githubusercontent.com/someone/abc123/raw');
    expect(rawNotebookUrl(' https://example.org/n.md ')).toBe('https://example.org/n.md');
  });

  it('refuses what is not an http(s) URL', async () => {
    expect((await failure(Promise.resolve().then(() => rawNotebookUrl('javascript:alert(1)')))).message).toMatch(/only http\(s\)/);
    expect((await failure(Promise.resolve().then(() => rawNotebookUrl('not a url')))).message).toMatch(/is not a URL/);
  });
});

describe('fetchNotebook', () => {
  it('parses the fetched file', async () => {
    const { f, calls } = fakeFetch(() => new Response(NOTEBOOK, { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
    const { notebook, url } = await fetchNotebook('https://gist.github.com/someone/abc123', { fetch: f });
    expect(calls).toEqual(['https://gist.githubusercontent.com/someone/abc123/raw']);
    expect(url).toBe(calls[0]);
    expect(notebook.frontMatter.title).toBe('From a gist');
    expect(notebook.cells.map((c) => c.source)).toEqual(['1 + 1']);
  });

  it('a network failure or an HTTP error is a clear message', async () => {
    const down = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    expect((await failure(fetchNotebook('https://example.org/n.md', { fetch: down.f }))).message).toMatch(/^could not fetch https:\/\/example.org\/n.md: the network request failed/);
    const missing = fakeFetch(() => new Response('nope', { status: 404, statusText: 'Not Found' }));
    expect((await failure(fetchNotebook('https://example.org/n.md', { fetch: missing.f }))).message).toBe('could not fetch https://example.org/n.md: HTTP 404 Not Found');
  });

  it('a body over the cap is refused, whether or not content-length says so', async () => {
    const big = 'x'.repeat(5000);
    const declared = fakeFetch(() => new Response(big, { headers: { 'content-length': '5000' } }));
    expect((await failure(fetchNotebook('https://e.org/a.md', { fetch: declared.f, maxBytes: 4096 }))).code).toBe('too-large');
    // A stream that never says its length and never ends: reading stops at the cap.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024).fill(45));
      },
    });
    const streamed = fakeFetch(() => new Response(endless));
    expect((await failure(fetchNotebook('https://e.org/a.md', { fetch: streamed.f, maxBytes: 4096 }))).code).toBe('too-large');
    expect(pulled).toBeLessThan(10);
  });

  it('a web page, binary data or text without front matter is "not a notebook"', async () => {
    const html = fakeFetch(() => new Response('<!doctype html><p>hi', { headers: { 'content-type': 'text/html; charset=utf-8' } }));
    expect((await failure(fetchNotebook('https://e.org/a', { fetch: html.f }))).message).toMatch(/is a web page, not a notebook file/);
    const binary = fakeFetch(() => new Response(new Uint8Array([0xff, 0xfe, 0x00, 0x80])));
    expect((await failure(fetchNotebook('https://e.org/a', { fetch: binary.f }))).message).toMatch(/invalid UTF-8/);
    const prose = fakeFetch(() => new Response('# just markdown\n'));
    const e = await failure(fetchNotebook('https://e.org/a.md', { fetch: prose.f }));
    expect(e.code).toBe('not-a-notebook');
    expect(e.message).toMatch(/^https:\/\/e.org\/a.md is not a notebook: a notebook starts with front matter/);
  });
});
