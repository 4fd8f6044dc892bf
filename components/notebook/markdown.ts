// Markdown cells to HTML: marked for the text, KaTeX for $…$ and $$…$$; raw HTML only from trusted notebooks, all of it sanitised.
import katex from 'katex';
import { Marked, type Tokens } from 'marked';
import { sanitizeHtml } from './sanitize';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function tex(src: string, displayMode: boolean): string {
  // throwOnError false: a typo in a formula shows in red instead of blanking the whole cell.
  // trust false: no \href, \url, \includegraphics or \html* commands, which would put author-chosen URLs and attributes in the page.
  return katex.renderToString(src, { displayMode, throwOnError: false, output: 'html', trust: false });
}

function makeMarked(trusted: boolean): Marked {
  const m = new Marked({ gfm: true });
  m.use({
    extensions: [
      {
        name: 'blockMath',
        level: 'block',
        start: (src: string) => src.match(/\$\$/)?.index,
        tokenizer(src: string) {
          const match = /^\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n|$)/.exec(src);
          if (match) return { type: 'blockMath', raw: match[0], text: match[1].trim() };
          return undefined;
        },
        renderer: (token: Tokens.Generic) => `<div class="math-display">${tex(token.text as string, true)}</div>\n`,
      },
      {
        name: 'inlineMath',
        level: 'inline',
        start: (src: string) => src.match(/\$/)?.index,
        tokenizer(src: string) {
          // $$x$$ inline is display math; "$5 and $6" is not math because a closing $ must not follow a space.
          const display = /^\$\$([^$]+?)\$\$/.exec(src);
          if (display) return { type: 'inlineMath', raw: display[0], text: display[1], display: true };
          const match = /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/.exec(src);
          if (match) return { type: 'inlineMath', raw: match[0], text: match[1], display: false };
          return undefined;
        },
        renderer: (token: Tokens.Generic) => tex(token.text as string, Boolean(token.display)),
      },
    ],
    // Untrusted notebooks show their raw HTML as text. URLs are not judged here but by the sanitiser, on the decoded
    // attribute value: marked passes `javascript&colon;` through as written, and only the browser decodes it.
    renderer: trusted ? {} : { html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text) },
  });
  return m;
}

const instances = new Map<boolean, Marked>();

/**
 * Renders a markdown cell's source to sanitised HTML (see sanitize.ts): no script, handlers, frames or forms, and only
 * http(s), mailto, relative and `#` URLs, trusted or not. `trusted` false also shows raw HTML as text.
 */
export function renderMarkdown(src: string, opts: { trusted: boolean }): string {
  let m = instances.get(opts.trusted);
  if (!m) instances.set(opts.trusted, (m = makeMarked(opts.trusted)));
  return sanitizeHtml(m.parse(src, { async: false }));
}

/** renderMarkdown for display: a source that cannot be rendered shows its error in place instead of throwing. */
export function renderMarkdownOrError(source: string, opts: { trusted: boolean }): string {
  try {
    return renderMarkdown(source, opts);
  } catch (e) {
    // The message may quote the source: escape it, since untrusted notebooks render here too.
    const message = String((e as Error).message).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<p class="cell-error">${message}</p>`;
  }
}
