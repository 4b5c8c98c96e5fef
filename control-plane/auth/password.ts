import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto, no native addon), at OWASP's minimum for scrypt
 * (N=2^17, r=8, p=1: 128 MiB and a few hundred milliseconds per hash). Stored as
 * `scrypt$N$r$p$salt$hash` (base64), so hashes made with other parameters still verify.
 */
export const PASSWORD_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
/** Hashes in flight at once: each holds 128 MiB, so a burst of sign-ins queues instead of exhausting memory. */
const CONCURRENT_HASHES = 2;

let running = 0;
const queued: (() => void)[] = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENT_HASHES) await new Promise<void>((resolve) => queued.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queued.shift()?.();
  }
}

function scrypt(password: string, salt: Buffer, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return withHashSlot(() => scryptOnce(password, salt, options));
}

function scryptOnce(password: string, salt: Buffer, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFKC'), salt, KEY_BYTES, { ...options, maxmem: 256 * options.N * options.r } satisfies ScryptOptions, (error, key) => {
      if (error) {
        reject(error);
      } else {
        resolve(key);
      }
    });
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, PASSWORD_PARAMS);
  return ['scrypt', PASSWORD_PARAMS.N, PASSWORD_PARAMS.r, PASSWORD_PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64');
  // A stored hash names its own parameters: bounded, so a tampered row cannot ask for gigabytes.
  if (!(Number(n) <= 2 ** 20 && Number(r) <= 16 && Number(p) <= 4)) {
    return false;
  }
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of a random password: verifying against it costs the same as a real one (no user-exists oracle). */
export const dummyPasswordHash = hashPassword(randomBytes(24).toString('base64'));
