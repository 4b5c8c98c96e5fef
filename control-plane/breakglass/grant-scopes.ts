import type { BreakGlassScope } from '../../contracts/break-glass';

/**
 * What each break-glass scope lets a grant read: exact tenant-plane routes, GET only. A grant can
 * read nothing else and write nothing at all. A new scope in contracts/break-glass.ts must list its
 * routes here (the Record type makes that a compile error otherwise).
 */
export const grantScopeRoutes: Readonly<Record<BreakGlassScope, readonly string[]>> = {
  'telemetry:read': ['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary'],
};

/** The scope a grant needs for `method url` (url as registered, without query), or null: no grant reaches it. */
export function scopeForRoute(method: string, url: string): BreakGlassScope | null {
  if (method !== 'GET' && method !== 'HEAD') return null;
  for (const [scope, routes] of Object.entries(grantScopeRoutes) as [BreakGlassScope, readonly string[]][]) {
    if (routes.includes(url)) return scope;
  }
  return null;
}

/** Whether a method changes something: a grant is refused on these whatever the route. */
export function isWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}
