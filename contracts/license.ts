import { z } from 'zod';
import { Timestamp } from './common';

export const LicenseTier = z.enum(['standard', 'isolation']);
export type LicenseTier = z.infer<typeof LicenseTier>;

/** The signed part of a license file. */
export const LicensePayload = z.strictObject({
  license_id: z.string().min(1).max(128),
  licensee: z.string().min(1).max(256),
  tier: LicenseTier,
  tenant_band: z.number().int().min(1).max(1_000_000),
  issued_at: Timestamp,
  expires_at: Timestamp,
});
export type LicensePayload = z.infer<typeof LicensePayload>;

/** A license file: the payload and its Ed25519 signature over the payload's canonical JSON. */
export const LicenseFile = z.strictObject({
  payload: LicensePayload,
  signature: z.string().regex(/^[A-Za-z0-9+/]+=*$/, 'base64'),
  key_id: z.string().min(1).max(64),
});
export type LicenseFile = z.infer<typeof LicenseFile>;

export const LicenseView = z.strictObject({
  licensee: z.string(),
  tier: LicenseTier,
  tenant_band: z.number().int(),
  tenants_used: z.number().int(),
  expires_at: Timestamp,
});
export type LicenseView = z.infer<typeof LicenseView>;
