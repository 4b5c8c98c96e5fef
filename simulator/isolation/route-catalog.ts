import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeNetworkError, type ApiClient, type Method } from '../connection/api-client';
import { SimulatorError } from '../errors';

/** A JSON Schema as the served document carries it (OpenAPI 3.1: JSON Schema 2020-12). */
export type JsonSchema = Record<string, unknown>;

/** One operation of the served document: what the probe attacks. */
export interface RouteSpec {
  method: Method;
  /** The OpenAPI path template, e.g. `/v1/tests/{id}`. */
  path: string;
  /** `GET /v1/tests/{id}`: how reports name the route. */
  key: string;
  /** The credential the route declares (`none`, `operator`, `tenant`, `tenant-or-grant`, `scim`, `agent`, or a newer one). */
  credential: string;
  /** Which side of the privilege boundary (the operation's first tag): `public`, `provider` or `tenant`. */
  plane: string;
  params: { name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema }[];
  body: { mediaType: string; schema: JsonSchema } | null;
}

export interface RouteCatalog {
  /** info.version: the control plane's version. */
  version: string;
  /** SHA-256 of the document as served, so a report says which contract it was checked against. */
  documentSha256: string;
  routes: RouteSpec[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const Parameter = z.looseObject({ name: z.string(), in: z.string(), required: z.boolean().optional(), schema: z.record(z.string(), z.unknown()).optional() });
const Operation = z.looseObject({
  tags: z.array(z.string()).optional(),
  parameters: z.array(Parameter).optional(),
  requestBody: z.looseObject({ content: z.record(z.string(), z.looseObject({ schema: z.record(z.string(), z.unknown()).optional() })) }).optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
});
const Document = z.looseObject({
  openapi: z.string().startsWith('3.'),
  info: z.looseObject({ version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/**
 * The routes of an OpenAPI document, one per operation, each with the credential it declares. The
 * probe attacks exactly these: a route the server adds is attacked without anyone listing it here.
 */
export function routesOf(document: unknown): { version: string; routes: RouteSpec[] } {
  const parsed = Document.safeParse(document);
  if (!parsed.success) throw new SimulatorError(`the control plane's OpenAPI document is not one the probe can read (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const routes: RouteSpec[] = [];
  for (const [path, item] of Object.entries(parsed.data.paths)) {
    for (const method of METHODS) {
      if (item[method] === undefined) continue;
      const operation = Operation.safeParse(item[method]);
      if (!operation.success) throw new SimulatorError(`the OpenAPI document's ${method.toUpperCase()} ${path} is not an operation the probe can read`);
      const { tags, parameters = [], requestBody, security = [] } = operation.data;
      const content = requestBody === undefined ? undefined : Object.entries(requestBody.content)[0];
      const upper = method.toUpperCase() as Method;
      routes.push({
        method: upper,
        path,
        key: `${upper} ${path}`,
        // An empty security list (or none) is a public route; otherwise the first scheme named.
        credential: Object.keys(security[0] ?? {})[0] ?? 'none',
        plane: tags?.[0] ?? 'public',
        params: parameters.filter((parameter) => parameter.in === 'path' || parameter.in === 'query').map((parameter) => ({ name: parameter.name, in: parameter.in as 'path' | 'query', required: parameter.required ?? parameter.in === 'path', schema: parameter.schema ?? {} })),
        body: content === undefined ? null : { mediaType: content[0], schema: content[1].schema ?? {} },
      });
    }
  }
  return { version: parsed.data.info.version, routes };
}

/** Reads the served document (`GET /provider/v1/openapi.json`, no credential) as text (its hash is reported) and its routes. */
export async function fetchRouteCatalog(client: ApiClient): Promise<RouteCatalog> {
  let response: Awaited<ReturnType<typeof client.pool.request>>;
  let text: string;
  try {
    response = await client.pool.request({ method: 'GET', path: '/provider/v1/openapi.json' });
    text = await response.body.text();
  } catch (error) {
    throw new SimulatorError(describeNetworkError(error, client.target.url).message);
  }
  if (response.statusCode === 404) throw new SimulatorError('this control plane serves no OpenAPI document (GET /provider/v1/openapi.json answered 404): isolation-probe enumerates routes from it');
  if (response.statusCode !== 200) throw new SimulatorError(`GET /provider/v1/openapi.json answered ${response.statusCode}`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new SimulatorError('GET /provider/v1/openapi.json did not answer JSON');
  }
  return { ...routesOf(document), documentSha256: createHash('sha256').update(text).digest('hex') };
}
