// @vitest-environment jsdom
// The sanitiser against a corpus of XSS vectors, through the Markdown renderer, trusted and not; harmless Markdown and math survive.
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import type { WindowLike } from 'dompurify';
import { renderMarkdown } from './markdown';
import { isSafeUrl, sanitizeHtml } from './sanitize';
import { findUnsafe, HARMLESS, XSS_VECTORS } from './sanitize.vectors';

/** The HTML as the page gets it: set as innerHTML of a div, exactly what dangerouslySetInnerHTML does. */
function mount(html: string): HTMLDivElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('isSafeUrl', () => {
  it.each(['https://a.test/x', 'http://a.test', 'mailto:me@a.test', '#top', '', 'x', './x', '../x', '/x', '//a.test/x', '?q=1', 'HTTPS://A.TEST'])(
    'allows %j',
    (url) => expect(isSafeUrl(url)).toBe(true),
  );
  it.each(['javascript:alert(1)', ' javascript:alert(1)', '\u0001javascript:x', 'java\tscript:x', 'java\nscript:x', 'JAVASCRIPT:x', 'vbscript:x', 'data:text/html,x', 'file:///etc/passwd', 'blob:https://a.test/1', 'ftp://a.test', 'https://[bad'])(
    'refuses %j',
    (url) => expect(isSafeUrl(url)).toBe(false),
  );
});

describe('sanitizeHtml', () => {
  it('keeps KaTeX output exactly, spans, styles and SVG included', () => {
    for (const [src, display] of [['\\sqrt{x^2+1} \\color{red}{y} \\frac{a}{b}', false], ['\\widehat{xyz} \\overrightarrow{AB} \\sum_{i=1}^n i', true]] as const) {
      const html = katex.renderToString(src, { displayMode: display, throwOnError: false, output: 'html', trust: false });
      expect(html).toContain('<svg');
      expect(mount(sanitizeHtml(html)).innerHTML).toBe(mount(html).innerHTML);
    }
  });

  it('marks links that leave the page and leaves in-page ones alone', () => {
    const div = mount(sanitizeHtml('<a href="https://x.test/">out</a><a href="#a">in</a><a href="./p">rel</a><a href="mailto:a@x.test">m</a>'));
    const [out, anchor, rel, mail] = Array.from(div.querySelectorAll('a'));
    expect([out.rel, out.target]).toEqual(['noopener noreferrer', '_blank']);
    expect([anchor.getAttribute('rel'), anchor.getAttribute('target')]).toEqual([null, null]);
    expect(rel.getAttribute('rel')).toBeNull();
    expect([mail.rel, mail.getAttribute('target')]).toEqual(['noopener noreferrer', null]);
  });

  it('is stable: sanitising its own output changes nothing', () => {
    for (const v of XSS_VECTORS) {
      const once = sanitizeHtml(v.source);
      expect(sanitizeHtml(once), v.name).toBe(once);
    }
  });

  it('refuses to run without a DOM instead of passing HTML through', () => {
    expect(() => sanitizeHtml('<b>x</b>', {} as WindowLike)).toThrow(/no DOM/);
  });
});

describe('renderMarkdown against XSS', () => {
  it('has a corpus of at least 40 vectors', () => {
    expect(XSS_VECTORS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(XSS_VECTORS.map((v) => v.name)).size).toBe(XSS_VECTORS.length);
  });

  for (const trusted of [false, true]) {
    it.each(XSS_VECTORS)(`${trusted ? 'trusted' : 'untrusted'}: $name`, ({ source }) => {
      const html = renderMarkdown(source, { trusted });
      expect(findUnsafe(mount(html))).toEqual([]);
    });
  }

  it('all vectors at once, in one cell, leave nothing behind', () => {
    const all = XSS_VECTORS.map((v) => v.source).join('\n\n');
    for (const trusted of [false, true]) expect(findUnsafe(mount(renderMarkdown(all, { trusted })))).toEqual([]);
  });

  it('the reported link keeps its text but loses its script URL', () => {
    const a = mount(renderMarkdown('[results](javascript&colon;alert(1))', { trusted: false })).querySelector('a')!;
    expect(a.textContent).toBe('results');
    expect(a.hasAttribute('href')).toBe(false);
  });

  it('the oracle would catch what the renderer used to let through', () => {
    // Today's bug, as marked writes it without the sanitiser: proves findUnsafe is not vacuous.
    expect(findUnsafe(mount('<p><a href="javascript&colon;alert(1)">results</a></p>'))).not.toEqual([]);
    expect(findUnsafe(mount('<svg><a xlink:href="javascript:alert(1)"></a></svg>'))).not.toEqual([]);
    expect(findUnsafe(mount('<img srcset="https://a.test/a 1x, javascript:alert(1) 2x">'))).not.toEqual([]);
  });
});

describe('renderMarkdown keeps harmless Markdown', () => {
  for (const trusted of [false, true]) {
    it(`links, images and math render (${trusted ? 'trusted' : 'untrusted'})`, () => {
      const div = mount(renderMarkdown(HARMLESS.join('\n\n'), { trusted }));
      expect(findUnsafe(div)).toEqual([]);
      expect(Array.from(div.querySelectorAll('a')).map((a) => a.getAttribute('href'))).toEqual([
        'https://example.com/page?a=1&b=2',
        'http://example.com/',
        'mailto:someone@example.com',
        '#results',
        './other/page.md',
        '/notebooks/intro',
      ]);
      expect(div.querySelector('img')!.getAttribute('src')).toBe('https://example.com/logo.png');
      expect(div.querySelectorAll('.katex')).toHaveLength(3);
      expect(div.querySelector('.math-display .katex-display')).not.toBeNull();
      expect(div.querySelector('.katex svg')).not.toBeNull(); // \sqrt draws its radical as SVG
    });
  }

  it('trusted raw HTML stays, minus what can act', () => {
    const div = mount(renderMarkdown('<details open><summary>more</summary><b>bold</b> <img src="https://a.test/i.png" width="10"></details>', { trusted: true }));
    expect(div.querySelector('details > summary')!.textContent).toBe('more');
    expect(div.querySelector('b')!.textContent).toBe('bold');
    expect(div.querySelector('img')!.getAttribute('width')).toBe('10');
  });
});
