import type { FastifyInstance } from 'fastify';
import { errorEnvelope } from '../../contracts/errors';
import type { RouteContract } from './route-contract';

/** Which side of the privilege boundary a route is on. */
export type Plane = 'public' | 'provider' | 'tenant';

declare module 'fastify' {
  interface FastifyContextConfig {
    plane?: Plane;
  }
  interface FastifyInstance {
    /** Every route the app serves, with its plane: tests enumerate it so no route escapes the checks. */
    routeTable: RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  plane: Plane;
  /** What the route takes and answers (see route-contract.ts); every route declares one. */
  contract: RouteContract | undefined;
}

/** The URL prefixes that belong to the tenant plane: a route there must be marked `plane: 'tenant'`. */
export const tenantPlanePrefixes = ['/v1/', '/scim/v2', '/agent/v1/'];

export function planeOfUrl(url: string): Plane {
  if (tenantPlanePrefixes.some((prefix) => url.startsWith(prefix))) {
    return 'tenant';
  }
  if (url.startsWith('/provider/')) {
    return 'provider';
  }
  return 'public';
}

/**
 * Records every route with its plane (from the URL, so a new route cannot forget to declare it),
 * and refuses operator session tokens on the tenant plane before any handler runs: provisioning a
 * tenant gives an operator no implicit access to its data.
 */
export function registerRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    const plane = planeOfUrl(route.url);
    route.config = { ...route.config, plane };
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') {
        table.push({ method, url: route.url, plane, contract: route.config.contract });
      }
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.plane !== 'tenant') {
      return;
    }
    const authorization = request.headers.authorization ?? '';
    if (/^Bearer\s+bho_/i.test(authorization.trim())) {
      return reply
        .code(403)
        .send(errorEnvelope('no_implicit_access', 'Operators have no access to tenant data. The only way in is a break-glass request the tenant approves.'));
    }
  });
}
