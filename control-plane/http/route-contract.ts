import type { z } from 'zod';

/** Which credential a route takes (the OpenAPI security requirement it documents). */
export type Credential = 'none' | 'operator' | 'metrics' | 'tenant' | 'tenant-or-grant' | 'scim' | 'agent' | 'portal';

/** An answer's body: JSON of a schema, none, plain text, a PDF, or either JSON or CSV (`format=`) of the same rows. */
export type ResponseBody = z.ZodType | null | 'text' | 'pdf' | { json: z.ZodType; csv: true };

/**
 * What a route takes and answers, from the contract's schemas: the same schemas the handler parses
 * its request with. The route table keeps it, and the served OpenAPI document is built from it
 * (http/openapi.ts), so the document cannot list a route the server does not have, or miss one.
 */
export interface RouteContract {
  summary: string;
  credential: Credential;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status → the answer's schema; null: no body (204, a redirect); 'text': plain text; 'pdf': a PDF document. */
  responses: Record<number, ResponseBody>;
  /** The media type of bodies both ways (SCIM's own, or JSON). */
  mediaType?: 'application/json' | 'application/scim+json';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    contract?: RouteContract;
  }
}

/** A route's options carrying its contract (merge with other options where a route has them). */
export function contract(routeContract: RouteContract): { config: { contract: RouteContract } } {
  return { config: { contract: routeContract } };
}
