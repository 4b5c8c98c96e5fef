import { randomBytes, randomUUID } from 'node:crypto';
import { hashToken, newToken } from '../../control-plane/auth/tokens';
import type { Storage } from '../../control-plane/storage/types';

/** One HTTP call (inject() or real HTTPS): status and JSON body. */
export type Call = (method: 'GET' | 'POST' | 'PUT', url: string, authorization: string | null, payload?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * A tenant user with `role`, signed in: the user and its group come through the tenant's SCIM
 * API and the role through its group mapping, as in production; the session is then issued as
 * the OIDC callback issues it once the tenant's IdP has answered (that round trip runs against a
 * real IdP in identity-journey.test.ts). Returns the user's `Authorization` header value.
 */
export async function tenantUserAuthorization(options: {
  call: Call;
  /** A tenant-admin token's Authorization header value. */
  admin: string;
  /** Opens a second handle on the engine under test (closed before returning). */
  openStorage: () => Promise<Storage>;
  role: 'admin' | 'operator' | 'viewer';
}): Promise<string> {
  const { call, admin, role } = options;
  const expect201 = (what: string, response: { status: number; json: Record<string, unknown> }) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.json)}`);
    return response.json;
  };
  const tenant = (await call('GET', '/v1/tenant', admin)).json;
  const scim = `Bearer ${String(expect201('SCIM token', await call('POST', '/v1/directory/scim-tokens', admin, { name: `fixture-${randomBytes(3).toString('hex')}` })).token)}`;
  const userName = `${role}-${randomBytes(4).toString('hex')}@example.test`;
  const userId = String(expect201('SCIM user', await call('POST', '/scim/v2/Users', scim, { schemas: [SCIM_USER], userName, active: true })).id);
  const group = `fixture-${role}-${randomBytes(3).toString('hex')}`;
  expect201('SCIM group', await call('POST', '/scim/v2/Groups', scim, { schemas: [SCIM_GROUP], displayName: group, members: [{ value: userId }] }));
  const existing = ((await call('GET', '/v1/directory/role-mappings', admin)).json.mappings ?? []) as { group: string; role: string }[];
  const mapped = await call('PUT', '/v1/directory/role-mappings', admin, { mappings: [...existing, { group, role }] });
  if (mapped.status !== 200) throw new Error(`role mapping: ${mapped.status} ${JSON.stringify(mapped.json)}`);

  const storage = await options.openStorage();
  try {
    const record = await storage.tenants.byId(String(tenant.id));
    if (record === null) throw new Error('tenant not found');
    const token = newToken('bht_');
    const at = new Date();
    await storage.transaction(async (tx) => {
      await tx.createTenantToken(record, {
        id: randomUUID(),
        kind: 'session',
        name: 'fixture session',
        tokenHash: hashToken(token),
        createdAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + 12 * 3600_000).toISOString(),
        revokedAt: null,
        subjectId: userId,
      });
    });
    return `Bearer ${token}`;
  } finally {
    await storage.close();
  }
}
