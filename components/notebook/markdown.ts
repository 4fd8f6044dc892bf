// Markdown cells to HTML: marked for the text, KaTeX for $…$ and $$…$$; raw HTML only from trusted notebooks.
import katex from 'katex';
import { Marked, type Tokens } from 'marked';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function tex(src: string, displayMode: boolean): string {
  // throwOnError false: a typo in a formula shows in red instead of blanking the whole cell.
  return katex.renderToString(src, { displayMode, throwOnError: false, output: 'html' });
}

// Only links that cannot run code; an imported notebook must not execute anything before it is trusted.
const SAFE_URL = /^(https?:|mailto:|#|\/|\.\/|\.\.\/|[^:]*$)/i;

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
    renderer: trusted
      ? {}
      : {
          html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text),
          link(token: Tokens.Link) {
            if (!SAFE_URL.test(token.href)) return escapeHtml(token.text);
            return false;
          },
          image(token: Tokens.Image) {
            if (!SAFE_URL.test(token.href)) return escapeHtml(token.text);
            return false;
          },
        },
  });
  return m;
}

const instances = new Map<boolean, Marked>();

/** Renders a markdown cell's source to HTML; `trusted` false escapes raw HTML and drops script URLs. */
export function renderMarkdown(src: string, opts: { trusted: boolean }): string {
  let m = instances.get(opts.trusted);
  if (!m) instances.set(opts.trusted, (m = makeMarked(opts.trusted)));
  return m.parse(src, { async: false });
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
