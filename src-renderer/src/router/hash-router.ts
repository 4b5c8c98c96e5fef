// The console's router: the screen lives in the URL's fragment (#/tenants), so a reload lands on it
// and Back and Forward move between screens inside the app. A fragment never leaves the page: it
// works the same under Electron's app://bulkhead scheme (no server to rewrite deep paths, and the
// main process denies every real navigation) and in browser mode, and needs no server route.
// It is a few dozen lines over window.location and `hashchange`; a router library would bring
// nested layouts and loaders the console does not use.
import { useSyncExternalStore } from 'react';

/** A parsed location: `#/tenants/acme` is `{ path: '/tenants/acme', segments: ['tenants', 'acme'] }`. */
export type Route = { path: string; segments: readonly string[] };

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Reads a fragment as a route. Anything that is not `#/` followed by lowercase segments (a query,
 * an encoded character, `..`, a trailing slash aside) is not a route of the console: it parses to
 * `null` and the shell shows "not found" rather than guessing.
 */
export function parseHash(hash: string): Route | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw === '' || raw === '/') {
    return { path: '/', segments: [] };
  }
  if (!raw.startsWith('/')) {
    return null;
  }
  const segments = raw.slice(1).replace(/\/$/, '').split('/');
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    return null;
  }
  return { path: `/${segments.join('/')}`, segments };
}

/** The fragment for a path: `hrefFor('/tenants')` is `#/tenants`. */
export function hrefFor(path: string): string {
  return `#${path.startsWith('/') ? path : `/${path}`}`;
}

/** Moves to `path`: a new history entry (Back returns), or with `replace` the current one is rewritten. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const href = hrefFor(path);
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
