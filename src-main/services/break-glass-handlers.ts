import { type z } from 'zod';
import { InclusionProofView } from '../../contracts/audit';
import { BreakGlassGrant, BreakGlassRequestView } from '../../contracts/break-glass';
import { pageOf } from '../../contracts/common';
import type { BreakGlassStatus } from '../../contracts/ipc';
import { FlowEventView, SummaryResponse, TelemetryResult } from '../../contracts/telemetry';
import { ConsoleError } from '../console-error';
import type { IpcHandlers } from '../ipc/router';
import type { HeldGrants } from './held-grants';
import { checkInclusion } from './inclusion-proof';

type Method = 'GET' | 'POST';

/** What break-glass needs of the console service. */
export interface BreakGlassPort {
  asOperator<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.output<S>>;
  /** A GET on the active connection with a grant token (never with the operator's session). */
  withGrant<S extends z.ZodType>(path: string, schema: S, token: string): Promise<z.output<S>>;
  /** The active connection, when its operator is signed in (grants are held per connection). */
  signedInConnection(): string | null;
  grants: HeldGrants;
}

export type BreakGlassChannel = 'breakglass:list' | 'breakglass:open' | 'breakglass:get' | 'breakglass:activate' | 'telemetry:results' | 'telemetry:flows' | 'telemetry:summary' | 'audit:prove';

/** The control plane's answers that mean the grant is over: the console forgets it. */
const GRANT_ENDED = new Set(['grant_expired', 'grant_revoked', 'unauthorized']);

function queryOf(values: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) query.set(key, String(value));
  }
  return query.toString();
}

/**
 * Break-glass on a tenant's page (#21): open a request, follow it, activate it once approved, and
 * read the tenant's telemetry through the grant while it lasts. The grant token is kept here, in
 * the main process; the telemetry channels answer only through a grant held for that request, and
 * the control plane ledgers every read in both ledgers before it answers.
 */
export function breakGlassHandlers(port: BreakGlassPort): Pick<IpcHandlers, BreakGlassChannel> {
  const connection = (): string => {
    const id = port.signedInConnection();
    if (id === null) throw new ConsoleError('unauthorized', 'Sign in first.');
    return id;
  };
  /** The request with what this console holds for it; a grant the request no longer allows is forgotten. */
  const statusOf = (request: BreakGlassRequestView): BreakGlassStatus => {
    const id = connection();
    if (request.state !== 'active') port.grants.drop(id, request.id);
    return { request, grant: port.grants.view(id, request.id) };
  };
  const read = async <S extends z.ZodType>(route: string, request: { request_id: string } & Record<string, string | number | undefined>, schema: S): Promise<z.output<S>> => {
    const id = connection();
    const { request_id: requestId, ...query } = request;
    const grant = port.grants.get(id, requestId);
    if (grant === null) {
      throw new ConsoleError('break_glass_not_active', 'This console holds no active break-glass grant for that request: telemetry is read only through one.');
    }
    try {
      // `tenant` pins the read to the grant's tenant: the control plane refuses it for any other.
      return await port.withGrant(`${route}?${queryOf({ ...query, tenant: grant.tenant_id })}`, schema, grant.token);
    } catch (error) {
      if (error instanceof ConsoleError && GRANT_ENDED.has(error.code)) port.grants.drop(id, requestId);
      throw error;
    }
  };
  return {
    'breakglass:list': async ({ tenant, state }) => {
      const page = await port.asOperator('GET', `/provider/v1/break-glass?${queryOf({ tenant, state, limit: 100 })}`, pageOf(BreakGlassRequestView));
      return { items: page.items.map(statusOf) };
    },
    'breakglass:open': async (request) => statusOf(await port.asOperator('POST', '/provider/v1/break-glass', BreakGlassRequestView, request)),
    'breakglass:get': async ({ id }) => statusOf(await port.asOperator('GET', `/provider/v1/break-glass/${id}`, BreakGlassRequestView)),
    'breakglass:activate': async ({ id }) => {
      const held = connection();
      const grant = await port.asOperator('POST', `/provider/v1/break-glass/${id}/activate`, BreakGlassGrant, {});
      port.grants.hold(held, { request_id: grant.id, tenant_id: grant.tenant_id, scope: grant.scope, expires_at: grant.expires_at, token: grant.grant_token });
      return statusOf(await port.asOperator('GET', `/provider/v1/break-glass/${id}`, BreakGlassRequestView));
    },
    'telemetry:results': (request) => read('/v1/telemetry/results', request, pageOf(TelemetryResult)),
    'telemetry:flows': (request) => read('/v1/telemetry/flows', request, pageOf(FlowEventView)),
    'telemetry:summary': (request) => read('/v1/telemetry/summary', request, SummaryResponse),
    'audit:prove': async ({ seq, leaf_hash }) => checkInclusion(await port.asOperator('GET', `/provider/v1/audit/proof/${seq}`, InclusionProofView), leaf_hash),
  };
}
