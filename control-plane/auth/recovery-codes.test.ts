import { describe, expect, it } from 'vitest';
import { RecoveryCode, RecoveryCodes } from '../../contracts/operators';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';

const operatorA = '3f1c2b7e-8a4d-4c1e-9b2a-1d2e3f4a5b6c';
const operatorB = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('recovery codes', () => {
  it('makes ten distinct codes of 16 base32 characters in four groups, with their hashes', () => {
    const { codes, hashes } = newRecoveryCodes(operatorA);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(RecoveryCodes.parse(codes)).toEqual(codes);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    expect(hashes).toEqual(codes.map((code) => hashRecoveryCode(operatorA, code)));
    for (const hash of hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('spreads its characters over the whole alphabet (no bias towards a few)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      for (const char of newRecoveryCodes(operatorA).codes.join('').replace(/-/g, '')) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    // 32 000 characters over 32 symbols: each near 1000.
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });

  it('reads a code back as typed: any case, with or without dashes or spaces', () => {
    const [code = ''] = newRecoveryCodes(operatorA).codes;
    const hash = hashRecoveryCode(operatorA, code);
    for (const typed of [code.toLowerCase(), code.replace(/-/g, ''), code.replace(/-/g, ' '), ` ${code} `]) {
      expect(RecoveryCode.safeParse(typed).success, typed).toBe(true);
      expect(hashRecoveryCode(operatorA, typed)).toBe(hash);
    }
    expect(normalizeRecoveryCode('abcd-efgh ijkl mnop')).toBe('ABCDEFGHIJKLMNOP');
    expect(RecoveryCode.safeParse('ABCD-EFGH-IJKL').success).toBe(false);
    expect(RecoveryCode.safeParse('ABCD-EFGH-IJKL-MN01').success).toBe(false);
  });

  it('binds a code to its operator', () => {
    const [code = ''] = newRecoveryCodes(operatorA).codes;
    expect(hashRecoveryCode(operatorA, code)).not.toBe(hashRecoveryCode(operatorB, code));
  });
});
