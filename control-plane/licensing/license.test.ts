import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluationLicensePath,
  licenseText,
  mintLicense,
  TempDirs,
  testSigner,
  type TestSigner,
} from '../../test/helpers/startup-fixtures';
import { StartupError } from '../errors';
import { builtInLicenseTrust, canonicalPayload, LicenseSource, readLicenseFile, verifyLicense } from './license';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

let signer: TestSigner;
beforeAll(() => {
  signer = testSigner();
});

function startupError(fn: () => unknown): StartupError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError);
    return error as StartupError;
  }
  throw new Error('expected a StartupError, nothing was thrown');
}

function writeLicense(text: string): string {
  const file = join(temp.make('bulkhead-license-'), 'license.json');
  writeFileSync(file, text);
  return file;
}

/** Replaces `file` atomically (write a sibling, rename over), as an operator installing a license would. */
function replaceFile(file: string, text: string): void {
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
}

describe('verifyLicense with a test signing key', () => {
  const now = new Date();

  it('accepts a valid license and returns its payload', () => {
    const license = mintLicense(signer, {}, now);
    expect(verifyLicense(license, signer.trust, now)).toEqual(license.payload);
  });

  it('passes the tier and band it was issued with through', () => {
    const license = mintLicense(signer, { tier: 'standard', tenant_band: 7, licensee: 'Small MSP' }, now);
    const payload = verifyLicense(license, signer.trust, now);
    expect(payload.tier).toBe('standard');
    expect(payload.tenant_band).toBe(7);
    expect(payload.licensee).toBe('Small MSP');
  });

  it('verifies whatever the key order of the payload in the file (the signature covers canonical JSON)', () => {
    const license = mintLicense(signer, {}, now);
    const reordered = Object.fromEntries(Object.entries(license.payload).reverse());
    expect(canonicalPayload(license.payload).equals(canonicalPayload(license.payload))).toBe(true);
    expect(verifyLicense({ key_id: license.key_id, signature: license.signature, payload: reordered }, signer.trust, now)).toEqual(license.payload);
  });

  it('refuses an expired license with license_expired naming the licensee and date', () => {
    const expiresAt = new Date(now.getTime() - 1000).toISOString();
    const license = mintLicense(signer, { issued_at: new Date(now.getTime() - 86_400_000 * 30).toISOString(), expires_at: expiresAt }, now);
    const error = startupError(() => verifyLicense(license, signer.trust, now));
    expect(error.code).toBe('license_expired');
    expect(error.message).toContain(expiresAt);
    expect(error.message).toContain('Test MSP');
  });

  it('refuses a license expiring exactly now', () => {
    const license = mintLicense(signer, { expires_at: now.toISOString() }, now);
    expect(startupError(() => verifyLicense(license, signer.trust, now)).code).toBe('license_expired');
  });

  it.each([
    ['tenant_band 25 → 2500', { tenant_band: 2500 }],
    ['tier standard → isolation', { tier: 'isolation' }],
    ['expiry pushed out', { expires_at: '2099-12-31T23:59:59.000Z' }],
    ['licensee renamed', { licensee: 'Someone Else' }],
  ])('refuses a payload edited after signing (%s) with license_invalid', (_label, edit) => {
    const license = mintLicense(signer, { tier: 'standard', tenant_band: 25 }, now);
    const tampered = { ...license, payload: { ...license.payload, ...edit } };
    const error = startupError(() => verifyLicense(tampered, signer.trust, now));
    expect(error.code).toBe('license_invalid');
    expect(error.message).toContain('signature does not verify');
  });

  it('refuses a license whose key id is not in the trust map', () => {
    const stranger = testSigner('stranger-key');
    const error = startupError(() => verifyLicense(mintLicense(stranger, {}, now), signer.trust, now));
    expect(error.code).toBe('license_invalid');
    expect(error.message).toContain('unknown key (stranger-key)');
  });

  it('refuses a license signed by another key that claims a trusted key id', () => {
    const forger = testSigner(signer.keyId);
    const error = startupError(() => verifyLicense(mintLicense(forger, {}, now), signer.trust, now));
    expect(error.code).toBe('license_invalid');
    expect(error.message).toContain('signature does not verify');
  });

  it('refuses a test-signed license against the built-in vendor trust (the test key is trusted only where a test passes it)', () => {
    expect(startupError(() => verifyLicense(mintLicense(signer, {}, now), builtInLicenseTrust, now)).code).toBe('license_invalid');
    expect(Object.keys(builtInLicenseTrust)).not.toContain(signer.keyId);
    expect(Object.isFrozen(builtInLicenseTrust)).toBe(true);
  });

  it('refuses a license issued more than a day in the future', () => {
    const license = mintLicense(signer, { issued_at: new Date(now.getTime() + 2 * 86_400_000).toISOString() }, now);
    const error = startupError(() => verifyLicense(license, signer.trust, now));
    expect(error.code).toBe('license_invalid');
    expect(error.message).toContain('issued in the future');
  });

  it('refuses a trusted key that is not a readable public key', () => {
    const license = mintLicense(signer, {}, now);
    expect(startupError(() => verifyLicense(license, { [signer.keyId]: 'not a pem' }, now)).code).toBe('license_invalid');
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['an empty object', {}],
    ['no signature', { payload: {}, key_id: 'test-key' }],
    ['an unknown tier', 'tier'],
    ['a band of zero', 'band'],
    ['an extra field', 'extra'],
    ['a non-base64 signature', 'signature'],
  ])('refuses a document of the wrong shape (%s) with license_invalid', (_label, shape) => {
    const license = mintLicense(signer, {}, now);
    const documents: Record<string, unknown> = {
      tier: { ...license, payload: { ...license.payload, tier: 'platinum' } },
      band: { ...license, payload: { ...license.payload, tenant_band: 0 } },
      extra: { ...license, payload: { ...license.payload, unlimited: true } },
      signature: { ...license, signature: 'not base64!' },
    };
    const document = typeof shape === 'string' ? documents[shape] : shape;
    const error = startupError(() => verifyLicense(document, signer.trust, now));
    expect(error.code).toBe('license_invalid');
  });
});

describe('readLicenseFile', () => {
  it('reads and verifies a license file', () => {
    const license = mintLicense(signer);
    expect(readLicenseFile(writeLicense(licenseText(license)), signer.trust, new Date())).toEqual(license.payload);
  });

  it('refuses a missing file with license_missing naming the path', () => {
    const file = join(temp.make(), 'license.json');
    const error = startupError(() => readLicenseFile(file, signer.trust, new Date()));
    expect(error.code).toBe('license_missing');
    expect(error.message).toContain(file);
    expect(error.message).toContain('ENOENT');
  });

  it.each([['{ "payload": '], [''], ['not json at all']])('refuses malformed JSON (%j) with license_invalid', (text) => {
    const error = startupError(() => readLicenseFile(writeLicense(text), signer.trust, new Date()));
    expect(error.code).toBe('license_invalid');
    expect(error.message).toContain('not valid JSON');
  });

  it('refuses a file edited after signing (tenant_band 25 → 2500 in the JSON text)', () => {
    const text = licenseText(mintLicense(signer, { tenant_band: 25 }));
    expect(text).toContain('"tenant_band": 25,');
    const file = writeLicense(text.replace('"tenant_band": 25,', '"tenant_band": 2500,'));
    expect(startupError(() => readLicenseFile(file, signer.trust, new Date())).code).toBe('license_invalid');
  });
});

describe('the shipped evaluation license', () => {
  it('verifies against the built-in vendor keys: tier isolation, band 25', () => {
    const payload = readLicenseFile(evaluationLicensePath, builtInLicenseTrust, new Date());
    expect(payload.tier).toBe('isolation');
    expect(payload.tenant_band).toBe(25);
    expect(Date.parse(payload.expires_at)).toBeGreaterThan(Date.now());
  });

  it('stops verifying when its band is edited', () => {
    const text = readFileSync(evaluationLicensePath, 'utf8');
    expect(text).toContain('"tenant_band": 25,');
    const file = writeLicense(text.replace('"tenant_band": 25,', '"tenant_band": 2500,'));
    expect(startupError(() => readLicenseFile(file, builtInLicenseTrust, new Date())).code).toBe('license_invalid');
  });
});

describe('LicenseSource', () => {
  it('refuses to start from a missing, invalid or expired file', () => {
    const dir = temp.make();
    expect(startupError(() => new LicenseSource(join(dir, 'license.json'), signer.trust)).code).toBe('license_missing');
    const tampered = licenseText(mintLicense(signer)).replace('"tenant_band": 25,', '"tenant_band": 26,');
    expect(startupError(() => new LicenseSource(writeLicense(tampered), signer.trust)).code).toBe('license_invalid');
    const expired = mintLicense(signer, { issued_at: '2020-01-01T00:00:00.000Z', expires_at: '2021-01-01T00:00:00.000Z' });
    expect(startupError(() => new LicenseSource(writeLicense(licenseText(expired)), signer.trust)).code).toBe('license_expired');
  });

  it('picks up a replaced license (new band) on get() without a new instance, both in place and by rename', () => {
    const file = writeLicense(licenseText(mintLicense(signer, { tenant_band: 25 })));
    const source = new LicenseSource(file, signer.trust);
    expect(source.get().tenant_band).toBe(25);

    // In place (same inode). The new text is one byte longer, so the change is seen even on a
    // filesystem whose timestamps are too coarse to tell two quick writes apart.
    writeFileSync(file, licenseText(mintLicense(signer, { tenant_band: 100 })));
    expect(source.get().tenant_band).toBe(100);
    expect(source.replacementError()).toBeNull();

    replaceFile(file, licenseText(mintLicense(signer, { tenant_band: 5000, tier: 'standard' })));
    expect(source.get().tenant_band).toBe(5000);
    expect(source.get().tier).toBe('standard');
    expect(source.replacementError()).toBeNull();
  });

  it('keeps the last good license when the replacement is tampered, and reports why', () => {
    const file = writeLicense(licenseText(mintLicense(signer, { tenant_band: 25 })));
    const source = new LicenseSource(file, signer.trust);
    expect(source.get().tenant_band).toBe(25);

    replaceFile(file, licenseText(mintLicense(signer, { tenant_band: 25 })).replace('"tenant_band": 25,', '"tenant_band": 2500,'));
    expect(source.get().tenant_band).toBe(25);
    expect(source.replacementError()?.code).toBe('license_invalid');
    // Asking again does not clear the report or switch licenses.
    expect(source.get().tenant_band).toBe(25);
    expect(source.replacementError()?.code).toBe('license_invalid');

    replaceFile(file, licenseText(mintLicense(signer, { tenant_band: 40 })));
    expect(source.get().tenant_band).toBe(40);
    expect(source.replacementError()).toBeNull();
  });

  it('keeps the last good license when the file is deleted, reporting license_missing', () => {
    const file = writeLicense(licenseText(mintLicense(signer, { tenant_band: 25 })));
    const source = new LicenseSource(file, signer.trust);
    rmSync(file);
    expect(source.get().tenant_band).toBe(25);
    expect(source.replacementError()?.code).toBe('license_missing');
  });

  it('keeps the last good license when the replacement is signed by an untrusted key', () => {
    const file = writeLicense(licenseText(mintLicense(signer, { tenant_band: 25 })));
    const source = new LicenseSource(file, signer.trust);
    replaceFile(file, licenseText(mintLicense(testSigner(signer.keyId), { tenant_band: 9999 })));
    expect(source.get().tenant_band).toBe(25);
    expect(source.replacementError()?.code).toBe('license_invalid');
  });

  it('throws license_expired from get() once the injected clock passes expiry', () => {
    const start = new Date('2030-06-01T00:00:00.000Z');
    let now = start;
    const license = mintLicense(signer, { issued_at: '2030-01-01T00:00:00.000Z', expires_at: '2030-07-01T00:00:00.000Z' }, start);
    const source = new LicenseSource(writeLicense(licenseText(license)), signer.trust, () => now);
    expect(source.get().licensee).toBe('Test MSP');

    now = new Date('2030-06-30T23:59:59.000Z');
    expect(source.get().expires_at).toBe('2030-07-01T00:00:00.000Z');

    now = new Date('2030-07-01T00:00:00.001Z');
    const error = startupError(() => source.get());
    expect(error.code).toBe('license_expired');
    expect(error.message).toContain('2030-07-01T00:00:00.000Z');
  });

  it('refuses an expired replacement and, once the old license expires too, get() throws', () => {
    let now = new Date('2030-06-01T00:00:00.000Z');
    const file = writeLicense(licenseText(mintLicense(signer, { issued_at: '2030-01-01T00:00:00.000Z', expires_at: '2030-07-01T00:00:00.000Z' })));
    const source = new LicenseSource(file, signer.trust, () => now);
    replaceFile(file, licenseText(mintLicense(signer, { issued_at: '2029-01-01T00:00:00.000Z', expires_at: '2030-05-01T00:00:00.000Z', tenant_band: 300 })));
    expect(source.get().tenant_band).toBe(25);
    expect(source.replacementError()?.code).toBe('license_expired');
    now = new Date('2030-08-01T00:00:00.000Z');
    expect(startupError(() => source.get()).code).toBe('license_expired');
  });
});
