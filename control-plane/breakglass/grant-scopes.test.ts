import { describe, expect, it } from 'vitest';
import { breakGlassScopes } from '../../contracts/break-glass';
import { grantScopeRoutes, isWrite, scopeForRoute } from './grant-scopes';

describe('grant scopes', () => {
  it('telemetry:read covers exactly the three telemetry GET routes', () => {
    expect(grantScopeRoutes['telemetry:read']).toEqual(['/v1/telemetry/results', '/v1/telemetry/flows', '/v1/telemetry/summary']);
    for (const route of grantScopeRoutes['telemetry:read']) expect(scopeForRoute('GET', route)).toBe('telemetry:read');
  });

  it('covers no write and no other route', () => {
    expect(scopeForRoute('POST', '/v1/telemetry/results')).toBeNull();
    expect(scopeForRoute('GET', '/v1/tests')).toBeNull();
    expect(scopeForRoute('GET', '/v1/telemetry/results/extra')).toBeNull();
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].every(isWrite)).toBe(true);
    expect(isWrite('GET')).toBe(false);
  });

  it('every scope of the contract lists at least one route', () => {
    for (const scope of breakGlassScopes) expect(grantScopeRoutes[scope].length).toBeGreaterThan(0);
  });
});
