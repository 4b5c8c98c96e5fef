import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, PASSWORD_PARAMS, verifyPassword } from './password';

describe('password hashing', () => {
  it('hashes with scrypt at N=2^17, r=8, p=1 (OWASP minimum) and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const [scheme, n, r, p] = stored.split('$');
    expect([scheme, Number(n), Number(r), Number(p)]).toEqual(['scrypt', 2 ** 17, 8, 1]);
    expect(PASSWORD_PARAMS.N).toBe(2 ** 17);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
  });

  it('still verifies a hash made with the old parameters (N=2^15), and refuses one whose parameters ask for too much', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('old-password-123', salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = ['scrypt', 2 ** 15, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    expect(await verifyPassword('old-password-123', old)).toBe(true);
    const greedy = ['scrypt', 2 ** 24, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    expect(await verifyPassword('old-password-123', greedy)).toBe(false);
  });
});
