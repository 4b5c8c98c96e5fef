import { act, cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { hrefFor, navigate, parseHash, useRoute } from './hash-router';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', window.location.pathname);
});

/** jsdom fires hashchange after the fragment changes, in a task of its own. */
const hashchange = () => new Promise<void>((resolve) => window.addEventListener('hashchange', () => resolve(), { once: true }));

describe('parseHash', () => {
  it.each([
    ['', '/', []],
    ['#', '/', []],
    ['#/', '/', []],
    ['#/tenants', '/tenants', ['tenants']],
    ['#/tenants/', '/tenants', ['tenants']],
    ['#/tenants/acme-corp', '/tenants/acme-corp', ['tenants', 'acme-corp']],
    ['/audit', '/audit', ['audit']],
  ])('reads %j as %s', (hash, path, segments) => {
    expect(parseHash(hash)).toEqual({ path, segments, query: {} });
  });

  it('reads a view of a screen from the query: lowercase keys, any short value', () => {
    expect(parseHash('#/tenants?state=active&sort=-shed&q=acme%20corp')).toEqual({ path: '/tenants', segments: ['tenants'], query: { state: 'active', sort: '-shed', q: 'acme corp' } });
    expect(parseHash('#/tenants/acme/audit?event=QUOTA_CHANGED')?.query).toEqual({ event: 'QUOTA_CHANGED' });
    expect(parseHash('#/?x=1')).toEqual({ path: '/', segments: [], query: { x: '1' } });
  });

  it.each(['#/tenants?X=1', '#/tenants?%3Cscript%3E=1', `#/tenants?q=${'a'.repeat(201)}`, '#/Tenants?x=1'])('is not a route either: %j', (hash) => {
    expect(parseHash(hash)).toBeNull();
  });

  it.each(['#tenants', '#/Tenants', '#/../etc', '#/a//b', '#/%2e%2e', '#/tenants/-x', `#/${'a'.repeat(64)}`, '#/<script>'])(
    'is not a route: %j',
    (hash) => {
      expect(parseHash(hash)).toBeNull();
    },
  );

  it('round-trips with hrefFor', () => {
    expect(hrefFor('/tenants')).toBe('#/tenants');
    expect(hrefFor('audit')).toBe('#/audit');
    expect(parseHash(hrefFor('/tenants/acme'))?.path).toBe('/tenants/acme');
    expect(hrefFor('/tenants', { state: 'active', sort: '-shed', q: '', isolation: undefined })).toBe('#/tenants?state=active&sort=-shed');
    expect(parseHash(hrefFor('/tenants', { q: 'a&b=c #x' }))?.query).toEqual({ q: 'a&b=c #x' });
  });
});

describe('navigate and useRoute', () => {
  it('follows links, navigate() and Back', async () => {
    const { result } = renderHook(() => useRoute());
    expect(result.current?.path).toBe('/');

    let changed = hashchange();
    act(() => {
      navigate('/tenants');
    });
    await act(() => changed);
    expect(result.current?.path).toBe('/tenants');
    expect(window.location.hash).toBe('#/tenants');

    changed = hashchange();
    act(() => {
      navigate('/audit');
    });
    await act(() => changed);
    expect(result.current?.segments).toEqual(['audit']);

    // Back returns to the previous screen, inside the page.
    changed = hashchange();
    act(() => {
      window.history.back();
    });
    await act(() => changed);
    expect(result.current?.path).toBe('/tenants');
  });

  it('replace rewrites the current entry instead of adding one', async () => {
    const { result } = renderHook(() => useRoute());
    const before = window.history.length;
    const changed = hashchange();
    act(() => {
      navigate('/overview', { replace: true });
    });
    await act(() => changed);
    expect(result.current?.path).toBe('/overview');
    expect(window.history.length).toBe(before);
  });

  it('does nothing when already there', () => {
    window.history.replaceState(null, '', '#/audit');
    const before = window.history.length;
    navigate('/audit');
    expect(window.history.length).toBe(before);
  });
});
