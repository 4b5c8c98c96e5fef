import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { openApiDocument } from './openapi';
import { contract } from './route-contract';

/**
 * GET /provider/v1/openapi.json: the machine-readable contract of every route this control plane
 * serves (OpenAPI 3.1), built from the routes' own contracts once the app is ready. Public: it
 * describes the API, never data.
 */
export function openApiRoute(version: string) {
  return (app: FastifyInstance): Promise<void> => {
    let document: Record<string, unknown> | null = null;
    app.get(
      '/provider/v1/openapi.json',
      contract({ summary: 'This document: the OpenAPI 3.1 contract of every route', credential: 'none', responses: { 200: z.record(z.string(), z.unknown()).describe('An OpenAPI 3.1 document') } }),
      () => {
        document ??= openApiDocument(app.routeTable, version);
        return document;
      },
    );
    return Promise.resolve();
  };
}
