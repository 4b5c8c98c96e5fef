import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { rateLimited } from '../telemetry/telemetry-access';
import type { RouteContract } from './route-contract';

/**
 * Requests per peer address and minute on the routes anyone may call before holding a credential
 * worth anything: sign-in and enrollment (each runs scrypt), and the SCIM and agent-enrollment
 * doors whose tokens are checked per request, and the brand resolution of sign-in walls (public,
 * a storage lookup each). Generous for people and fleets behind one address;
 * a bound on what a stranger can make the control plane do. Counted per replica, in memory.
 */
export const requestLimits = {
  signIn: 60,
  scim: 3000,
  agentEnroll: 3000,
  brandResolve: 600,
} as const;

const MINUTE_MS = 60_000;

/** @fastify/rate-limit for the routes that opt in (`limited`); its refusals are our `429 rate_limited`. */
export async function registerRequestLimits(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => rateLimited(context.ttl, `Too many requests from your address (${context.max} a minute on this route). Retry after Retry-After.`, { limit_per_minute: context.max }),
  });
}

/** A route's contract options with a per-address limit of `perMinute`. */
export function limited(options: { config: { contract: RouteContract } }, perMinute: number): { config: { contract: RouteContract; rateLimit: { max: number; timeWindow: number } } } {
  return { config: { ...options.config, rateLimit: { max: perMinute, timeWindow: MINUTE_MS } } };
}

/** The same limit on every route of a plugin (SCIM: one door, many routes). */
export function limitEveryRoute(app: FastifyInstance, perMinute: number): void {
  app.addHook('onRequest', app.rateLimit({ max: perMinute, timeWindow: MINUTE_MS }));
}
