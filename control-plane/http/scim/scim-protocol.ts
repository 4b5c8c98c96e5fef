import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors';
import { etag } from '../../identity/scim/resources';
import { LIST_RESPONSE_SCHEMA } from '../../identity/scim/schemas';
import { badRequest, notFound, ScimError, scimErrorBody } from '../../identity/scim/scim-error';
import { DirectoryConflict } from '../../storage/types';

/** The HTTP side of SCIM 2.0 (RFC 7644): query parameters, ids, preconditions, list responses and errors. */

export const SCIM_PREFIX = '/scim/v2';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
/** Page size without `count`, and the most one page returns (ServiceProviderConfig filter.maxResults). */
const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

export interface ListQuery {
  filter: string | undefined;
  startIndex: number;
  count: number;
  attributes: string[] | undefined;
  excludedAttributes: string[] | undefined;
}

type Doc = Record<string, unknown>;

/** A query parameter by name, case-insensitively; a repeated parameter is refused. */
function queryParam(query: unknown, name: string): string | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  const entry = Object.entries(query).find(([key]) => key.toLowerCase() === name.toLowerCase());
  if (entry === undefined) return undefined;
  const value: unknown = entry[1];
  if (typeof value !== 'string') {
    throw badRequest('invalidValue', `Give ${name} once.`);
  }
  return value;
}

function integerParam(query: unknown, name: string): number | undefined {
  const value = queryParam(query, name);
  if (value === undefined) return undefined;
  if (!/^\s*[-+]?\d{1,12}\s*$/.test(value)) {
    throw badRequest('invalidValue', `${name} must be an integer.`);
  }
  return Number(value);
}

function listParam(query: unknown, name: string): string[] | undefined {
  const value = queryParam(query, name);
  return value === undefined ? undefined : value.split(',').filter((entry) => entry.trim() !== '');
}

/** RFC 7644 §3.4.2.4: startIndex below 1 counts as 1, a negative count as 0; count is capped at maxResults. */
export function readListQuery(query: unknown): ListQuery {
  const startIndex = Math.max(1, integerParam(query, 'startIndex') ?? 1);
  const count = Math.min(MAX_COUNT, Math.max(0, integerParam(query, 'count') ?? DEFAULT_COUNT));
  return { filter: queryParam(query, 'filter'), startIndex, count, attributes: listParam(query, 'attributes'), excludedAttributes: listParam(query, 'excludedAttributes') };
}

export function projection(query: unknown): { attributes: string[] | undefined; excludedAttributes: string[] | undefined } {
  return { attributes: listParam(query, 'attributes'), excludedAttributes: listParam(query, 'excludedAttributes') };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `id` path parameter; anything that is not one of our ids is simply not found. */
export function idParam(request: FastifyRequest, kind: 'User' | 'Group'): string {
  const id = (request.params as { id?: unknown }).id;
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw notFound(kind, typeof id === 'string' ? id : '');
  }
  return id.toLowerCase();
}

/** If-Match (RFC 7644 §3.14), as a check of the resource's current version: a stale one is 412 and nothing changes. */
export function ifMatch(request: FastifyRequest): (version: number) => void {
  return (version) => {
    const header = request.headers['if-match'];
    if (header === undefined) return;
    const wanted = (Array.isArray(header) ? header.join(',') : header).split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    if (!wanted.includes('*') && !wanted.includes(`"${version}"`)) {
      throw new ScimError(412, undefined, `The resource has changed: its version is now ${etag(version)}.`);
    }
  };
}

export function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${SCIM_PREFIX}`;
}

export function listResponse(resources: Doc[], total: number, startIndex: number): Doc {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, itemsPerPage: resources.length, startIndex, Resources: resources };
}

/** Maps everything a SCIM route throws to the SCIM error schema (RFC 7644 §3.12); the rest of the API keeps its envelope. */
export function scimErrorHandler(error: FastifyError | ApiError | ScimError | DirectoryConflict, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof ScimError) {
    void reply.code(error.status).send(scimErrorBody(error.status, error.message, error.scimType));
    return;
  }
  if (error instanceof DirectoryConflict) {
    void reply.code(409).send(scimErrorBody(409, error.constraint === 'user_name' ? 'A user with this userName already exists.' : 'A group with this displayName already exists.', 'uniqueness'));
    return;
  }
  if (error instanceof ApiError) {
    // quota_exceeded, unauthorized, tenant_suspended...: the status as is, the contract's code named in the detail.
    if (error.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="scim"');
    void reply.code(error.statusCode).headers(error.headers).send(scimErrorBody(error.statusCode, `${error.code}: ${error.message}`));
    return;
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const syntax = error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
    void reply.code(status).send(scimErrorBody(status, syntax ? 'The body is not valid JSON.' : error.message, syntax ? 'invalidSyntax' : undefined));
    return;
  }
  request.log.error({ err: error }, 'unhandled error in a SCIM route');
  void reply.code(500).send(scimErrorBody(500, 'The control plane hit an unexpected error; it has been logged.'));
}
