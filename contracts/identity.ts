import { z } from 'zod';
import { RoleMapping } from './tenant-directory';

export const PutOidcRequest = z.strictObject({
  issuer: z.url({ protocol: /^https$/ }).max(500),
  client_id: z.string().min(1).max(255),
  client_secret: z.string().min(1).max(1024),
  /** The ID-token claim that must name the tenant (its slug); null to trust the issuer alone. */
  claim: z.string().regex(/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/).nullable().default('tenant'),
  groups_claim: z.string().regex(/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/).default('groups'),
  /** The IdP's CA certificate (PEM) when it is not publicly trusted (an on-premises IdP). */
  ca_pem: z.string().max(20_000).startsWith('-----BEGIN CERTIFICATE-----').optional(),
  role_mapping: z.array(RoleMapping).max(1000).optional(),
});

export const OidcView = z.strictObject({
  issuer: z.string(),
  client_id: z.string(),
  claim: z.string().nullable(),
  groups_claim: z.string(),
  updated_at: z.string(),
  /** Who owns these settings: `provider` (entered during onboarding) or `tenant` (set or confirmed in the tenant plane after handover). */
  owner: z.enum(['provider', 'tenant']),
});
export type OidcView = z.infer<typeof OidcView>;

export const OidcLoginQuery = z.strictObject({ tenant: z.string().min(1).max(200) });

/** Confirming the provider-entered settings as the tenant's own takes no fields. */
export const ConfirmIdentityRequest = z.strictObject({});
