import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, isTrustedSenderUrl, resolveRendererAsset } from './renderer-assets';

const root = '/opt/bulkhead/out/renderer';

describe('renderer assets over app://bulkhead', () => {
  it('maps the root and files inside the renderer dir', () => {
    expect(resolveRendererAsset(root, 'app://bulkhead/')).toBe(join(root, 'index.html'));
    expect(resolveRendererAsset(root, 'app://bulkhead/assets/index-1.js')).toBe(join(root, 'assets', 'index-1.js'));
  });

  it.each(['app://bulkhead/../../etc/passwd', 'app://bulkhead/%2e%2e/%2e%2e/etc/passwd', 'app://bulkhead/assets/..%2f..%2f..%2fetc%2fpasswd'])(
    'never leaves the renderer dir for %s',
    (url) => {
      const file = resolveRendererAsset(root, url);
      expect(file === null || file.startsWith(`${root}/`)).toBe(true);
    },
  );

  it.each([
    'app://bulkhead/a%5c..%5cb',
    'app://bulkhead/%00',
    'app://other/index.html',
    'file:///etc/passwd',
    'not a url',
    'app://bulkhead/%E0%A4%A',
  ])('refuses %s', (url) => {
    expect(resolveRendererAsset(root, url)).toBeNull();
  });

  it('serves known types with their content type and the rest as octet-stream', () => {
    expect(contentTypeFor('a/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('a/x.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('a/x.exe')).toBe('application/octet-stream');
  });

  it('trusts only the main frame of the app origin', () => {
    expect(isTrustedSenderUrl('app://bulkhead/index.html', true)).toBe(true);
    expect(isTrustedSenderUrl('app://bulkhead/index.html', false)).toBe(false);
    expect(isTrustedSenderUrl('https://evil.example/', true)).toBe(false);
    expect(isTrustedSenderUrl('file:///opt/bulkhead/out/renderer/index.html', true)).toBe(false);
    expect(isTrustedSenderUrl(undefined, true)).toBe(false);
  });
});
