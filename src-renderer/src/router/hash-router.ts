// The console's router: the screen lives in the URL's fragment (#/tenants), so a reload lands on it
// and Back and Forward move between screens inside the app. A fragment never leaves the page: it
// works the same under Electron's app://bulkhead scheme (no server to rewrite deep paths, and the
// main process denies every real navigation) and in browser mode, and needs no server route.
// It is a few dozen lines over window.location and `hashchange`; a router library would bring
// nested layouts and loaders the console does not use.
import { useSyncExternalStore } from 'react';

/**
 * A parsed location: `#/tenants/acme` is `{ path: '/tenants/acme', segments: ['tenants', 'acme'], query: {} }`;
 * `#/tenants?state=active&sort=-shed` carries `query: { state: 'active', sort: '-shed' }` (a view of a screen).
 */
export type Route = { path: string; segments: readonly string[]; query: Readonly<Record<string, string>> };

/** A view's parameters: empty values are left out of the URL. */
export type RouteQuery = Readonly<Record<string, string | undefined>>;

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const QUERY_KEY = /^[a-z][a-z0-9_-]{0,31}$/;
const QUERY_VALUE_MAX = 200;

/**
 * Reads a fragment as a route. Anything that is not `#/` followed by lowercase segments (an encoded
 * character, `..`, a trailing slash aside), optionally followed by `?` and lowercase keys with short
 * values, is not a route of the console: it parses to `null` and the shell shows "not found" rather
 * than guessing. A query's values are the screen's to check (a filter it does not know is ignored).
 */
export function parseHash(hash: string): Route | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const mark = raw.indexOf('?');
  const pathPart = mark === -1 ? raw : raw.slice(0, mark);
  const query = mark === -1 ? {} : parseQuery(raw.slice(mark + 1));
  if (query === null) {
    return null;
  }
  if (pathPart === '' || pathPart === '/') {
    return { path: '/', segments: [], query };
  }
  if (!pathPart.startsWith('/')) {
    return null;
  }
  const segments = pathPart.slice(1).replace(/\/$/, '').split('/');
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    return null;
  }
  return { path: `/${segments.join('/')}`, segments, query };
}

function parseQuery(text: string): Record<string, string> | null {
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (!QUERY_KEY.test(key) || value.length > QUERY_VALUE_MAX) {
      return null;
    }
    query[key] = value;
  }
  return query;
}

/** The fragment for a path and a view: `hrefFor('/tenants', { state: 'active' })` is `#/tenants?state=active`. */
export function hrefFor(path: string, query: RouteQuery = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return `#${path.startsWith('/') ? path : `/${path}`}${text === '' ? '' : `?${text}`}`;
}

/** Moves to `path` (and a view): a new history entry (Back returns), or with `replace` the current one is rewritten. */
export function navigate(path: string, options: { replace?: boolean; query?: RouteQuery } = {}): void {
  const href = hrefFor(path, options.query);
  if (window.location.hash === href) {
    return;
  }
  if (options.replace) {
    // replace() on a fragment-only URL stays in the page and still fires hashchange.
    window.location.replace(href);
  } else {
    window.location.hash = href;
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => {
    window.removeEventListener('hashchange', onChange);
  };
}

const currentHash = () => window.location.hash;

/** The current fragment, re-rendering on every change (links, Back, Forward, typed URLs). */
export function useHash(): string {
  return useSyncExternalStore(subscribe, currentHash, () => '');
}

/** The current route, or null when the fragment is not one. */
export function useRoute(): Route | null {
  return parseHash(useHash());
}
