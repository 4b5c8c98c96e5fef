import { createHash, randomBytes } from 'node:crypto';

/** Token kinds of API.md, by prefix. */
export type TokenPrefix = 'bho_' | 'bht_' | 'bhp_' | 'bhs_' | 'bhb_' | 'bha_' | 'bhg_' | 'bhm_';

/** A new opaque token: its prefix and 256 random bits (base64url). Only its hash is ever stored. */
export function newToken(prefix: TokenPrefix): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** SHA-256 of a token (hex): what storage keeps and looks tokens up by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Reads `Authorization: Bearer <token>` with the expected prefix; anything else is null. */
export function bearerToken(header: string | undefined, prefix: TokenPrefix): string | null {
  if (header === undefined) {
    return null;
  }
  const match = /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(header.trim());
  const token = match?.[1];
  return token?.startsWith(prefix) ? token : null;
}
