import type { ApiClient } from '../connection/api-client';

/** The body of an OIDC configuration: the same on the provider's route and the tenant's own. */
export interface OidcConfiguration {
  issuer: string;
  client_id: string;
  client_secret: string;
  ca_pem: string;
}

/**
 * Whether this control plane has the tenant handover (`POST /v1/handover`, issue 26): asked
 * without a credential, a control plane that has the route refuses the caller (401), one that
 * does not answers 404. Nothing is handed over by asking.
 */
export async function handoverAvailable(client: ApiClient): Promise<boolean> {
  const answer = await client.call('POST', '/v1/handover');
  return answer.status !== 404;
}

export interface Ownership {
  /** The tenant's admin token from here on: tenant-owned after a handover, else the onboarding token. */
  adminToken: string;
  handedOver: boolean;
}

/**
 * The customer takes ownership of its tenant and configures its own IdP: the bracketed step of the
 * tenant setup. With handover, the onboarding token (minted by an operator) buys a tenant-owned
 * admin token, which revokes every provider-minted credential, and the tenant sets its IdP in its
 * own plane. Without it (a control plane from before issue 26), the operator configures the IdP
 * through the provider plane and the onboarding token stays the tenant's admin token.
 */
export async function takeOwnership(client: ApiClient, options: { slug: string; operatorToken: string; onboardingToken: string; oidc: OidcConfiguration; handover: boolean }): Promise<Ownership> {
  if (!options.handover) {
    await client.expect(`configuring ${options.slug}'s IdP`, 200, 'PUT', `/provider/v1/tenants/${options.slug}/identity/oidc`, { token: options.operatorToken, body: options.oidc });
    return { adminToken: options.onboardingToken, handedOver: false };
  }
  const handed = await client.expect(`handing ${options.slug} over to its customer`, 201, 'POST', '/v1/handover', { token: options.onboardingToken, body: { name: 'customer admin (simulated)' } });
  const adminToken = String(handed.token);
  await client.expect(`${options.slug} configuring its own IdP`, 200, 'PUT', '/v1/identity/oidc', { token: adminToken, body: options.oidc });
  return { adminToken, handedOver: true };
}
