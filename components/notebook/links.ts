// App-internal URLs that depend on how the app is hosted: `next start`, or a static export (maybe under a sub-path).
import { BASE_PATH } from '@/lib/engine/basePath';
import { isUserSlug } from '@/lib/store/library';

/** True in the `npm run export` build: no server code, so every page must exist as a file. */
export const STATIC_EXPORT = process.env.NEXT_PUBLIC_STATIC_EXPORT === '1';

/** The page that opens share links, `?notebook=<URL>` imports and (in a static export) user notebooks, for Link/router. */
export const OPEN_ROUTE = STATIC_EXPORT ? '/open/' : '/open';

/**
 * The route of a notebook for Link and router.push (Next adds the base path). A user notebook exists only in this
 * browser, so a static host has no page for its slug: it opens through the client-side /open/?id= page instead.
 */
export function notebookHref(slug: string): string {
  return STATIC_EXPORT && isUserSlug(slug) ? `${OPEN_ROUTE}?id=${encodeURIComponent(slug)}` : `/notebooks/${slug}`;
}

/** The absolute URL of the open page, for links that leave this browser (share links). */
export function openPageUrl(origin: string): string {
  return `${origin}${BASE_PATH}${OPEN_ROUTE}`;
}

/** The absolute URL of a bundled notebook (the participant link in workshop presentations). */
export function bundledPageUrl(origin: string, slug: string, query = ''): string {
  return `${origin}${BASE_PATH}/notebooks/${slug}${STATIC_EXPORT ? '/' : ''}${query}`;
}
