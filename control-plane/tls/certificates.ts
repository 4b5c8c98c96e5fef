// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** Host names and addresses every server certificate covers, so loopback always works. */
export const defaultServerNames = ['localhost', '127.0.0.1', '::1'];

/** A valid SAN entry: a DNS name (letters, digits, dash, dot, an optional leading wildcard) or an IP. */
export function isValidSubjectAltName(name: string): boolean {
  if (isIP(name) !== 0) {
    return true;
  }
  return /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name) && name.length <= 253;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (der === undefined) {
    throw new Error('no key in PEM');
  }
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function serialNumber(): string {
  // Positive 128-bit serial (top bit cleared so DER does not read it as negative).
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** The deployment's private certificate authority (10 years), used only to sign its server certificates. */
export async function createCertificateAuthority(commonName: string, now = new Date()): Promise<PemPair> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}, O=Bulkhead`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: withNewline(cert.toString('pem')), keyPem: withNewline(await exportKeyPem(keys.privateKey)) };
}

/** A TLS server certificate (about 13 months) for the given names, signed by the deployment CA. */
export async function createServerCertificate(ca: PemPair, names: readonly string[], now = new Date()): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importKeyPem(ca.keyPem);
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const unique = [...new Set(names)];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${unique[0] ?? 'localhost'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 397 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        unique.map((name) => (isIP(name) !== 0 ? { type: 'ip' as const, value: name } : { type: 'dns' as const, value: name })),
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: withNewline(cert.toString('pem')), keyPem: withNewline(await exportKeyPem(keys.privateKey)) };
}

/** Checks that a certificate and key parse and belong together (for user-supplied TLS material). */
export function describeCertificate(certPem: string): { subject: string; validTo: Date; subjectAltName: string | undefined } {
  const cert = new NodeX509(certPem);
  return { subject: cert.subject, validTo: new Date(cert.validTo), subjectAltName: cert.subjectAltName };
}

/** The DNS names and IP addresses a certificate is for (its subjectAltName), lowercased. */
export function certificateNames(certPem: string): string[] {
  const san = new NodeX509(certPem).subjectAltName ?? '';
  return san
    .split(', ')
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.toLowerCase())
    .filter((name): name is string => name !== undefined);
}
