import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { errorEnvelope } from '../../contracts/errors';
import { contract } from './route-contract';
import { parseWith } from './validation';

/**
 * The tenant portal's page and assets (src-portal/, built into out/portal by `npm run build`),
 * served at /portal/ on any host: the page asks GET /v1/branding/resolve for its host's brand. Its
 * CSP allows no inline script or style, nothing from elsewhere, and no framing; images only from
 * here or data: URLs (a brand's logo).
 */
export const PORTAL_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

/** A built asset's file name: no path, no leading dot, one of the types above. */
const AssetParams = z.strictObject({ file: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.(?:js|css|svg|png|woff2)$/, 'a built asset file name') });

function notBuilt(reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorEnvelope('not_found', 'The tenant portal is not built here (npm run build makes out/portal).'));
}

/** `portalDir`: the built portal, or null where there is none (then /portal/ answers 404). */
export function portalRoutes(portalDir: string | null) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/portal', contract({ summary: 'The tenant portal (redirects to /portal/)', credential: 'none', responses: { 302: null } }), (_request, reply) => reply.redirect('/portal/', 302));

    app.get('/portal/', contract({ summary: "The tenant portal's page (HTML): the sign-in wall in the brand of the host it is served on", credential: 'none', responses: { 200: 'text' } }), async (_request, reply) => {
      if (portalDir === null) return notBuilt(reply);
      const page = await readFile(join(portalDir, 'index.html')).catch(() => null);
      if (page === null) return notBuilt(reply);
      return reply.header('content-security-policy', PORTAL_CSP).header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(page);
    });

    app.get('/portal/assets/:file', contract({ summary: "The tenant portal's built scripts, styles and images", credential: 'none', params: AssetParams, responses: { 200: 'text' } }), async (request, reply) => {
      const { file } = parseWith(AssetParams, request.params, 'path');
      if (portalDir === null) return notBuilt(reply);
      const body = await readFile(join(portalDir, 'assets', file)).catch(() => null);
      if (body === null) return reply.code(404).send(errorEnvelope('not_found', 'No such portal asset.'));
      const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
      return reply.header('content-security-policy', PORTAL_CSP).type(type).send(body);
    });
    return Promise.resolve();
  };
}
