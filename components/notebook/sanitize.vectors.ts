// Hostile Markdown for the sanitiser's tests (unit and Playwright): each entry tries to get script, a frame, a form or
// a non-http(s) URL into a rendered cell or slide. Test data only; nothing imports it outside tests.

export interface XssVector {
  name: string;
  source: string;
}

const A = 'alert(1)';

export const XSS_VECTORS: XssVector[] = [
  // Markdown links whose scheme hides behind entities, case, whitespace or controls.
  { name: 'entity &colon;', source: `[results](javascript&colon;${A})` },
  { name: 'decimal entity', source: `[a](&#106;avascript:${A})` },
  { name: 'hex entity', source: `[a](&#x6A;avascript:${A})` },
  { name: 'zero-padded entity without ;', source: `[a](&#0000106avascript:${A})` },
  { name: 'whole scheme as hex entities', source: `[a](&#x6a;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3a;${A})` },
  { name: 'tab entity inside scheme', source: `[a](java&#09;script:${A})` },
  { name: 'newline entity inside scheme', source: `[a](java&#x0A;script:${A})` },
  { name: '&Tab; inside scheme', source: `[a](java&Tab;script:${A})` },
  { name: 'literal tab in <destination>', source: `[a](<java\tscript:${A}>)` },
  { name: 'mixed case', source: `[a](JaVaScRiPt:${A})` },
  { name: 'leading space entity', source: `[a](&#32;javascript:${A})` },
  { name: 'leading control entity', source: `[a](&#1;javascript:${A})` },
  { name: 'scheme with // comment trick', source: `[a](javascript://%0a${A})` },
  { name: 'reference link, entity scheme', source: `[a][r]\n\n[r]: javascript&colon;${A}` },
  { name: 'reference link, angle destination and title', source: `[a][r]\n\n[r]: <javascript:${A}> "t"` },
  { name: 'reference image', source: `![i][r]\n\n[r]: javascript:${A}` },
  { name: 'autolink', source: `<javascript:${A}>` },
  { name: 'autolink upper case', source: `<JAVASCRIPT:${A}>` },
  { name: 'autolink vbscript', source: '<vbscript:msgbox(1)>' },
  { name: 'vbscript link', source: '[a](vbscript:msgbox(1))' },
  { name: 'data-scheme html link', source: '[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)' },
  { name: 'data-scheme svg image', source: '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)' },
  { name: 'script-scheme image', source: `![x](javascript:${A})` },
  // Breaking out of the attribute marked writes.
  { name: 'image title breakout', source: `![x](https://ok.test/a.png "t\\" onerror=\\"${A}")` },
  { name: 'href quote breakout', source: `[a](https://ok.test/"onmouseover="${A})` },
  { name: 'title breakout to script', source: `[a](https://ok.test/ "t\\"><script>${A}</script>")` },
  { name: 'text breakout', source: `"><script>${A}</script><img src=x onerror=${A}>` },
  // Raw HTML (escaped when untrusted, sanitised when trusted).
  { name: 'img onerror', source: `<img src=x onerror=${A}>` },
  { name: 'img src javascript', source: `<img src="javascript:${A}">` },
  { name: 'a href leading space', source: `<a href=" javascript:${A}">x</a>` },
  { name: 'a href control char', source: `<a href="&#14;javascript:${A}">x</a>` },
  { name: 'a href tab entity', source: `<a href="jav&#x09;ascript:${A}">x</a>` },
  { name: 'a href &colon;', source: `<a href="javascript&colon;${A}">x</a>` },
  { name: 'a href data-scheme html', source: `<a href="data:text/html,<script>${A}</script>">x</a>` },
  { name: 'a href vbscript', source: '<a href="vbscript:msgbox(1)">x</a>' },
  { name: 'svg a xlink:href', source: `<svg><a xlink:href="javascript:${A}"><text x="0" y="20">x</text></a></svg>` },
  { name: 'svg a href', source: `<svg width="20" height="20"><a href="javascript:${A}"><rect width="20" height="20"/></a></svg>` },
  { name: 'svg onload', source: `<svg onload=${A}></svg>` },
  { name: 'svg script', source: `<svg><script>${A}</script></svg>` },
  { name: 'svg animate href', source: `<svg><a><animate attributeName="href" values="javascript:${A}"/><text y="20">x</text></a></svg>` },
  { name: 'svg set href', source: `<svg><a><set attributeName="href" to="javascript:${A}"/><text y="20">x</text></a></svg>` },
  { name: 'svg use data-scheme', source: `<svg><use href="data:image/svg+xml,&lt;svg id='x' xmlns='http://www.w3.org/2000/svg'&gt;&lt;image href='1' onerror='${A}'/&gt;&lt;/svg&gt;#x"/></svg>` },
  { name: 'svg foreignObject iframe', source: `<svg><foreignObject><iframe srcdoc="<script>${A}</script>"></iframe></foreignObject></svg>` },
  { name: 'iframe srcdoc', source: `<iframe srcdoc="&lt;script&gt;${A}&lt;/script&gt;"></iframe>` },
  { name: 'iframe javascript src', source: `<iframe src="javascript:${A}"></iframe>` },
  { name: 'math mXSS', source: `<math><mtext><table><mglyph><style><img src=x onerror=${A}>` },
  { name: 'math href', source: `<math href="javascript:${A}">x</math>` },
  { name: 'math maction', source: `<math><maction actiontype="statusline" xlink:href="javascript:${A}">click</maction></math>` },
  { name: 'noscript mXSS', source: `<noscript><p title="</noscript><img src=x onerror=${A}>"></p></noscript>` },
  { name: 'template script', source: `<template><script>${A}</script></template>` },
  { name: 'form action', source: `<form action="javascript:${A}"><input type="submit" value="go"></form>` },
  { name: 'button formaction', source: `<button formaction="javascript:${A}">x</button>` },
  { name: 'input image src', source: `<input type="image" src="javascript:${A}">` },
  { name: 'object data', source: `<object data="javascript:${A}"></object>` },
  { name: 'object data-scheme html', source: `<object data="data:text/html,<script>${A}</script>"></object>` },
  { name: 'embed src', source: `<embed src="javascript:${A}">` },
  { name: 'meta refresh', source: `<meta http-equiv="refresh" content="0;url=javascript:${A}">` },
  { name: 'base href', source: `<base href="javascript:${A}//">\n\n[relative](x)` },
  { name: 'link stylesheet', source: '<link rel="stylesheet" href="https://evil.test/x.css">' },
  { name: 'img srcset', source: `<img srcset="javascript:${A} 1x, https://ok.test/a.png 2x">` },
  { name: 'video poster and source', source: `<video poster="javascript:${A}"><source src="javascript:${A}"></video>` },
  { name: 'area href', source: `<map name="m"><area shape="rect" coords="0,0,9,9" href="javascript:${A}"></map>` },
  { name: 'blockquote cite', source: `<blockquote cite="javascript:${A}">q</blockquote>` },
  { name: 'style element', source: `<style>@import 'https://evil.test/x.css'; body{background:url(javascript:${A})}</style>` },
  { name: 'style attribute url()', source: `<div style="background:url(javascript:${A})">x</div>` },
  { name: 'style attribute covering the page', source: '<a href="https://ok.test/" style="position:fixed;inset:0">cover</a>' },
  { name: 'details ontoggle', source: `<details open ontoggle=${A}><summary>s</summary></details>` },
  { name: 'body onload', source: `<body onload=${A}>` },
  { name: 'img src=x onerror=eval(src)', source: `<img src=x:${A} onerror=eval(src)>` },
  // KaTeX commands that would make links, load images or set attributes with trust on.
  { name: 'katex \\href', source: `$\\href{javascript:${A}}{click}$` },
  { name: 'katex \\url', source: `$\\url{javascript:${A}}$` },
  { name: 'katex display \\href', source: `$$\\href{javascript:${A}}{x}$$` },
  { name: 'katex \\includegraphics', source: `$\\includegraphics{javascript:${A}}$` },
  { name: 'katex \\htmlData', source: `$\\htmlData{href=javascript:${A}}{x}$` },
  { name: 'katex \\htmlStyle', source: '$\\htmlStyle{position:fixed;inset:0}{x}$' },
];

/** Markdown that must still render as before: links that are fine, images, math. */
export const HARMLESS = [
  '[site](https://example.com/page?a=1&b=2)',
  '[plain http](http://example.com/)',
  '[mail](mailto:someone@example.com)',
  '[section](#results)',
  '[relative](./other/page.md)',
  '[root](/notebooks/intro)',
  '![logo](https://example.com/logo.png)',
  'Inline $E = mc^2$ and $\\sqrt{x}$.',
  '$$\n\\sum_i x_i\n$$',
];

// The oracle, written apart from sanitize.ts so a slip there is not mirrored here.
/**
 * Everything script-capable under `root`: forbidden elements, event handler and frame/form attributes, URLs with another
 * scheme than http(s)/mailto (read from the decoded DOM value, as the browser follows it), styles that fetch or cover,
 * and links out of the page without `rel="noopener noreferrer"`. Empty means safe. Self-contained (no outer names), so
 * Playwright can run the very same function in the page: `locator.evaluate(findUnsafe)`.
 */
export function findUnsafe(root: Element): string[] {
  const dangerousTags = new Set([
    'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input', 'button', 'textarea', 'select',
    'style', 'link', 'meta', 'base', 'math', 'use', 'foreignobject', 'animate', 'set', 'animatemotion', 'animatetransform',
    'animatecolor', 'template', 'noscript', 'portal',
  ]);
  const urlAttributes = new Set(['href', 'src', 'action', 'formaction', 'poster', 'background', 'cite', 'data', 'ping', 'longdesc', 'usemap', 'codebase', 'to', 'from', 'values']);
  const allowedUrl = (value: string) => {
    try {
      return ['http:', 'https:', 'mailto:'].includes(new URL(value, 'https://oracle.test/').protocol);
    } catch {
      return false;
    }
  };
  const found: string[] = [];
  for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
    const tag = el.localName.toLowerCase();
    if (dangerousTags.has(tag)) found.push(`<${tag}>`);
    for (const attr of Array.from(el.attributes)) {
      const name = attr.localName.toLowerCase();
      const where = `<${tag} ${attr.name}="${attr.value}">`;
      // Controls and spaces squeezed out, as the URL parser drops or trims them.
      // eslint-disable-next-line no-control-regex
      const squashed = attr.value.replace(/[\s\u0000-\u001f\u007f-\u00a0]/g, '').toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc' || name === 'formaction' || name === 'action' || name === 'http-equiv') found.push(where);
      else if (/^(javascript|vbscript|livescript|data):/.test(squashed) || /(javascript|vbscript):/.test(squashed)) found.push(where);
      else if (name === 'srcset' && !attr.value.split(',').every((c) => allowedUrl(c.trim().split(/\s+/)[0] ?? ''))) found.push(where);
      else if (urlAttributes.has(name) && !allowedUrl(attr.value)) found.push(where);
      else if (name === 'style' && /url\(|expression|fixed|@import/i.test(attr.value)) found.push(where);
    }
    const href = el.getAttribute('href');
    if (tag === 'a' && href && /^(https?:)?\/\//i.test(href.trim()) && !/noopener/.test(el.getAttribute('rel') ?? '')) found.push(`<a href="${href}"> without rel=noopener`);
  }
  return found;
}
