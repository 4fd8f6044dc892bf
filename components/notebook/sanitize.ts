// The one gate for HTML made from notebook text (Markdown cells, slides): DOMPurify plus a URL allowlist checked on decoded values.
import createDOMPurify, { type Config, type DOMPurify, type WindowLike } from 'dompurify';

/** The schemes a rendered notebook may link to or load from; relative and `#` URLs resolve to the page's own scheme. */
const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:']);
// Any base does: a relative URL keeps the base's scheme, and only the scheme and origin are read.
const BASE = 'https://notebook.invalid/';
const BASE_ORIGIN = new URL(BASE).origin;

/** Attributes, by local name (so `xlink:href` counts as `href`), whose value the browser follows as a URL. */
const URL_ATTRS = new Set([
  'href', 'src', 'action', 'formaction', 'poster', 'background', 'cite', 'data', 'codebase', 'longdesc', 'usemap',
  'dynsrc', 'lowsrc', 'ping', 'manifest', 'profile', 'classid', 'archive', 'icon', 'itemtype', 'itemid', 'base',
  'to', 'from', 'values', 'by',
]);
const SRCSET_ATTRS = new Set(['srcset', 'imagesrcset']);

/**
 * Elements that can run script, load a document, submit data, restyle the page, or change how its URLs resolve.
 * Forms go too: a notebook's text has no business posting anything. MathML is off (KaTeX renders HTML) and so are
 * the SVG elements that animate or pull in other documents.
 */
const FORBID_TAGS = [
  'script', 'noscript', 'template', 'style', 'link', 'meta', 'base',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'fencedframe',
  'form', 'input', 'button', 'textarea', 'select', 'option', 'optgroup', 'datalist', 'output', 'keygen', 'isindex',
  'math', 'use', 'foreignobject', 'animate', 'animatecolor', 'animatemotion', 'animatetransform', 'set', 'mpath', 'handler', 'listener',
];
const FORBID_ATTR = ['srcdoc', 'action', 'formaction', 'ping', 'http-equiv', 'target', 'autofocus'];

// Whitespace and C0 controls the URL parser drops or trims, so `java\tscript:` is `javascript:`.
// eslint-disable-next-line no-control-regex
const IGNORED = /[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/g;
const SCRIPT_SCHEME = /^(?:javascript|vbscript|livescript|data):|(?:javascript|vbscript|livescript):/;
// CSS that fetches, runs, escapes (to hide either) or covers the page: such a style attribute is dropped whole.
const UNSAFE_STYLE = /url\s*\(|image\s*\(|image-set|expression|behaviou?r|binding|@import|javascript|vbscript|\\|\/\*|position\s*:\s*fixed/i;

/** Whether a decoded attribute value is a URL a notebook may use: http(s), mailto, relative or `#`. */
export function isSafeUrl(value: string): boolean {
  try {
    return SAFE_SCHEMES.has(new URL(value, BASE).protocol);
  } catch {
    return false;
  }
}

/** Whether a srcset value holds only safe URLs; any token that is not a width/density descriptor is read as a URL. */
function isSafeSrcset(value: string): boolean {
  return value
    .split(/[\s,]+/)
    .filter((t) => t !== '' && !/^\d+(?:\.\d+)?[wxh]$/i.test(t))
    .every(isSafeUrl);
}

/** Links that leave the notebook open in a new tab (a running training loop stays alive) and learn nothing about it. */
function markExternal(el: Element, href: string): void {
  const url = new URL(href, BASE);
  if (url.origin === BASE_ORIGIN) return;
  el.setAttribute('rel', 'noopener noreferrer');
  if (url.protocol !== 'mailto:') el.setAttribute('target', '_blank');
}

function checkAttributes(el: Element): void {
  for (const attr of Array.from(el.attributes)) {
    const name = attr.localName.toLowerCase();
    const value = attr.value;
    const compact = value.replace(IGNORED, '').toLowerCase();
    const unsafe =
      name.startsWith('on') ||
      SCRIPT_SCHEME.test(compact) ||
      (URL_ATTRS.has(name) && !isSafeUrl(value)) ||
      (SRCSET_ATTRS.has(name) && !isSafeSrcset(value)) ||
      (name === 'style' && UNSAFE_STYLE.test(value));
    if (unsafe) el.removeAttributeNode(attr);
  }
  const tag = el.localName.toLowerCase();
  const href = el.getAttribute('href');
  if ((tag === 'a' || tag === 'area') && href !== null) markExternal(el, href);
}

const CONFIG: Config = {
  USE_PROFILES: { html: true, svg: true },
  FORBID_TAGS,
  FORBID_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  // DOMPurify's own URL check, narrowed to ours; the hook then checks the parsed value with `new URL`.
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
  ADD_DATA_URI_TAGS: [],
  RETURN_TRUSTED_TYPE: false,
};

const instances = new WeakMap<object, DOMPurify>();

function purifier(win: WindowLike): DOMPurify {
  let p = instances.get(win);
  if (!p) {
    // An instance of our own: hooks on the shared default instance would leak into any other user of DOMPurify.
    p = createDOMPurify(win);
    if (!p.isSupported) throw new Error('cannot sanitise HTML: this DOM is not supported');
    p.addHook('afterSanitizeAttributes', checkAttributes);
    instances.set(win, p);
  }
  return p;
}

/**
 * Sanitised HTML, safe to set as innerHTML whatever the input: no script, no event handlers, no frames, forms or
 * styles, and every URL-bearing attribute http(s), mailto, relative or `#`. Throws without a DOM (DOMPurify would
 * hand the input back untouched there), so a caller can never show unsanitised HTML by accident.
 */
export function sanitizeHtml(html: string, win: WindowLike | undefined = globalThis.window): string {
  if (!win?.document) throw new Error('cannot sanitise HTML: no DOM here');
  return purifier(win).sanitize(html, CONFIG) as string;
}
