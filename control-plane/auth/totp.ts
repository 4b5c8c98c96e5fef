import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 TOTP as operators' authenticator apps use it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_ISSUER = 'Bulkhead';

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(username: string, secret: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: username, secret, period: TOTP_PERIOD_SECONDS, digits: 6, algorithm: 'sha1' });
}

/**
 * What a presented code is: right (with the step to remember), a right code of a step already
 * used (a replay: the operator should wait for the next code), or wrong.
 */
export type TotpCheck = { kind: 'ok'; step: number } | { kind: 'replayed' } | { kind: 'wrong' };

/**
 * Checks a code with ±1 step of clock skew. Accepts only a step later than `lastStep`, so a code
 * (and any earlier one) is accepted once; an otherwise right code of an earlier step is a replay.
 */
export async function checkTotp(secret: string, code: string, now: Date, lastStep: number | null): Promise<TotpCheck> {
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_PERIOD_SECONDS,
  });
  if (!result.valid || !('timeStep' in result)) return { kind: 'wrong' };
  return lastStep !== null && result.timeStep <= lastStep ? { kind: 'replayed' } : { kind: 'ok', step: result.timeStep };
}
