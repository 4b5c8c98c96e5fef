import { createHash, randomBytes } from 'node:crypto';

/** How many recovery codes an operator gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * One recovery code: 80 random bits as 16 base32 characters in four groups (`ABCD-EFGH-JKLM-NPQR`).
 * 80 bits make a plain SHA-256 of the code safe to store: no one can search that space offline.
 */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  return text.match(/.{4}/g)?.join('-') ?? text;
}

/** A code as typed (any case, dashes or spaces between groups) in its stored form: 16 upper-case characters. */
export function normalizeRecoveryCode(code: string): string {
  return code.replace(/[-\s]/g, '').toUpperCase();
}

/**
 * SHA-256 of the normalized code, bound to its operator: the only form a code is stored in. A code
 * of one operator never matches another's row.
 */
export function hashRecoveryCode(operatorId: string, code: string): string {
  return createHash('sha256').update(`bulkhead/recovery-code/${operatorId}/${normalizeRecoveryCode(code)}`, 'utf8').digest('hex');
}

/** A new set of codes for an operator: the clear codes to show once, and the hashes to store. */
export function newRecoveryCodes(operatorId: string, count = RECOVERY_CODE_COUNT): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: count }, newRecoveryCode);
  return { codes, hashes: codes.map((code) => hashRecoveryCode(operatorId, code)) };
}
