import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TempDirs } from '../../test/helpers/startup-fixtures';
import { open, seal } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { StartupError } from '../errors';
import { certificateNames, createCertificateAuthority, createServerCertificate } from './certificates';
import { daysLeft, finishInterruptedRenewal, renewIfExpiring, renewServerCertificate, type ServerTlsPaths } from './server-certificate-renewal';

const DAY_MS = 24 * 3600 * 1000;
const temp = new TempDirs();
afterAll(() => temp.cleanup());
const deploymentKey = randomBytes(32);

/** A data dir's tls/ as init leaves it, with a server certificate issued `issuedDaysAgo` days ago. */
async function tlsDir(issuedDaysAgo: number, now: Date): Promise<ServerTlsPaths> {
  const dir = join(temp.make('bulkhead-renewal-'), 'tls');
  mkdirSync(dir);
  const paths = { caCert: join(dir, 'ca.crt'), caKeySealed: join(dir, 'ca.key.sealed'), serverCert: join(dir, 'server.crt'), serverKeySealed: join(dir, 'server.key.sealed') };
  const issued = new Date(now.getTime() - issuedDaysAgo * DAY_MS);
  const ca = await createCertificateAuthority('Test deployment CA', issued);
  const server = await createServerCertificate(ca, ['localhost', '127.0.0.1', 'cp.msp.example'], issued);
  writeFileSync(paths.caCert, ca.certPem);
  writeFileSync(paths.caKeySealed, seal(deploymentKey, Buffer.from(ca.keyPem), sealPurpose.caKey));
  writeFileSync(paths.serverCert, server.certPem + ca.certPem);
  writeFileSync(paths.serverKeySealed, seal(deploymentKey, Buffer.from(server.keyPem), sealPurpose.serverKey));
  return paths;
}

/** Whether the certificate on disk was signed by the CA on disk and belongs to the key on disk. */
function pairHolds(paths: ServerTlsPaths): boolean {
  const leaf = new X509Certificate(readFileSync(paths.serverCert, 'utf8'));
  const ca = new X509Certificate(readFileSync(paths.caCert, 'utf8'));
  const key = createPrivateKey(open(deploymentKey, readFileSync(paths.serverKeySealed), sealPurpose.serverKey).toString('utf8'));
  return leaf.verify(ca.publicKey) && leaf.checkPrivateKey(key);
}

describe('renewing the data dir server certificate', () => {
  const now = new Date('2027-06-01T00:00:00Z');

  it("issues a new certificate and key from the same CA, for the names it had and the ones added", async () => {
    const paths = await tlsDir(390, now);
    const caBefore = readFileSync(paths.caCert, 'utf8');
    const certBefore = readFileSync(paths.serverCert, 'utf8');
    expect(daysLeft(paths, now)).toBeLessThan(10);

    const renewed = await renewServerCertificate(paths, deploymentKey, { addNames: ['Console.MSP.example', '10.0.0.7'], now });

    expect(readFileSync(paths.caCert, 'utf8')).toBe(caBefore);
    expect(readFileSync(paths.serverCert, 'utf8')).not.toBe(certBefore);
    expect(pairHolds(paths)).toBe(true);
    expect(certificateNames(readFileSync(paths.serverCert, 'utf8')).sort()).toEqual(['10.0.0.7', '127.0.0.1', 'console.msp.example', 'cp.msp.example', 'localhost']);
    expect(renewed.names).toContain('console.msp.example');
    expect(daysLeft(paths, now)).toBeGreaterThan(390);
    expect(renewed.validTo.getTime() - now.getTime()).toBeGreaterThan(390 * DAY_MS);
    expect(existsSync(`${paths.serverCert}.next`) || existsSync(`${paths.serverKeySealed}.next`)).toBe(false);
  });

  it('refuses a name that is neither a DNS name nor an IP, and changes nothing', async () => {
    const paths = await tlsDir(10, now);
    const certBefore = readFileSync(paths.serverCert, 'utf8');
    await expect(renewServerCertificate(paths, deploymentKey, { addNames: ['bad name;'], now })).rejects.toSatisfy((error) => error instanceof StartupError && error.code === 'tls_invalid');
    expect(readFileSync(paths.serverCert, 'utf8')).toBe(certBefore);
  });

  it('refuses with a clear error under another deployment key, and changes nothing', async () => {
    const paths = await tlsDir(10, now);
    const certBefore = readFileSync(paths.serverCert, 'utf8');
    await expect(renewServerCertificate(paths, randomBytes(32), { now })).rejects.toThrow(/CA or certificate cannot be read/);
    expect(readFileSync(paths.serverCert, 'utf8')).toBe(certBefore);
  });

  it('renews by itself only within 30 days of expiry', async () => {
    const fresh = await tlsDir(300, now); // about 97 days left
    const certBefore = readFileSync(fresh.serverCert, 'utf8');
    expect(await renewIfExpiring(fresh, deploymentKey, now)).toBeNull();
    expect(readFileSync(fresh.serverCert, 'utf8')).toBe(certBefore);

    const due = await tlsDir(370, now); // about 27 days left
    const renewed = await renewIfExpiring(due, deploymentKey, now);
    expect(renewed).not.toBeNull();
    expect(daysLeft(due, now)).toBeGreaterThan(390);
    expect(pairHolds(due)).toBe(true);
  });
});

describe('a renewal a crash interrupted', () => {
  const now = new Date('2027-06-01T00:00:00Z');

  /** Leaves tls/ as a crash at a given step of a renewal would: both `.next` files written, and `renamedKey` or not. */
  async function interrupted(renamedKey: boolean): Promise<{ paths: ServerTlsPaths; newCert: string }> {
    const paths = await tlsDir(390, now);
    const ca = { certPem: readFileSync(paths.caCert, 'utf8'), keyPem: open(deploymentKey, readFileSync(paths.caKeySealed), sealPurpose.caKey).toString('utf8') };
    const server = await createServerCertificate(ca, ['localhost'], now);
    writeFileSync(`${paths.serverKeySealed}.next`, seal(deploymentKey, Buffer.from(server.keyPem), sealPurpose.serverKey));
    writeFileSync(`${paths.serverCert}.next`, server.certPem + ca.certPem);
    if (renamedKey) renameSync(`${paths.serverKeySealed}.next`, paths.serverKeySealed);
    return { paths, newCert: server.certPem + ca.certPem };
  }

  it('after the new key was put in place: its certificate follows, so the pair on disk belongs together', async () => {
    const { paths, newCert } = await interrupted(true);
    expect(pairHolds(paths)).toBe(false);
    finishInterruptedRenewal(paths);
    expect(readFileSync(paths.serverCert, 'utf8')).toBe(newCert);
    expect(pairHolds(paths)).toBe(true);
    expect(existsSync(`${paths.serverCert}.next`)).toBe(false);
  });

  it('before anything was put in place: the leftovers go and the old pair stays', async () => {
    const { paths, newCert } = await interrupted(false);
    const certBefore = readFileSync(paths.serverCert, 'utf8');
    finishInterruptedRenewal(paths);
    expect(readFileSync(paths.serverCert, 'utf8')).toBe(certBefore);
    expect(readFileSync(paths.serverCert, 'utf8')).not.toBe(newCert);
    expect(pairHolds(paths)).toBe(true);
    expect(existsSync(`${paths.serverCert}.next`) || existsSync(`${paths.serverKeySealed}.next`)).toBe(false);
  });
});
