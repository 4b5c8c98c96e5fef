import { extname, join, normalize, sep } from 'node:path';

/** The origin the renderer is served from in Electron (a privileged custom scheme, not file://). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'bulkhead';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * Maps an `app://bulkhead/...` URL to a file inside the built renderer, or null for anything
 * outside it (other hosts, traversal, encoded separators).
 */
export function resolveRendererAsset(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) {
    return null;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) {
    return null;
  }
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = normalize(rendererDir);
  const file = normalize(join(root, relative));
  if (!file.startsWith(root + sep)) {
    return null;
  }
  return file;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function contentTypeFor(file: string): string {
  return contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** True when an IPC call comes from the console's own page at the top level, not an iframe or another origin. */
export function isTrustedSenderUrl(senderUrl: string | undefined, isMainFrame: boolean): boolean {
  if (!isMainFrame || senderUrl === undefined) {
    return false;
  }
  try {
    const url = new URL(senderUrl);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}
