import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, createServerCertificate, defaultServerNames, describeCertificate, isValidSubjectAltName, type PemPair } from './certificates';

const DAY_MS = 24 * 3600 * 1000;

describe('deployment CA and server certificate', () => {
  const now = new Date();
  let ca: PemPair;
  let otherCa: PemPair;
  let server: PemPair;

  beforeAll(async () => {
    ca = await createCertificateAuthority('Bulkhead test CA', now);
    otherCa = await createCertificateAuthority('Some other CA', now);
    server = await createServerCertificate(ca, [...defaultServerNames, 'cp.example.com', '10.20.30.40', 'localhost'], now);
  });

  it('makes a self-signed CA certificate that may sign certificates', () => {
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.subject).toContain('CN=Bulkhead test CA');
    expect(new Date(caCert.validTo).getTime()).toBeGreaterThan(now.getTime() + 3000 * DAY_MS);
    expect(caCert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('makes a server certificate that chains to the CA and to no other CA', () => {
    const caCert = new X509Certificate(ca.certPem);
    const serverCert = new X509Certificate(server.certPem);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.issuer).toBe(caCert.subject);

    const other = new X509Certificate(otherCa.certPem);
    expect(serverCert.checkIssued(other)).toBe(false);
    expect(serverCert.verify(other.publicKey)).toBe(false);
    // Not self-signed: its own key did not sign it.
    expect(serverCert.verify(serverCert.publicKey)).toBe(false);
  });

  it('matches its own private key and not the CA key', () => {
    const serverCert = new X509Certificate(server.certPem);
    expect(serverCert.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true);
    expect(serverCert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(false);
  });

  it('covers localhost, 127.0.0.1, ::1 and the extra names, each once', () => {
    const serverCert = new X509Certificate(server.certPem);
    const san = (serverCert.subjectAltName ?? '').split(', ');
    expect(san).toEqual(['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'DNS:cp.example.com', 'IP Address:10.20.30.40']);
    expect(serverCert.checkHost('localhost')).toBe('localhost');
    expect(serverCert.checkHost('cp.example.com')).toBe('cp.example.com');
    expect(serverCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serverCert.checkIP('::1')).toBe('::1');
    expect(serverCert.checkIP('10.20.30.40')).toBe('10.20.30.40');
    expect(serverCert.checkHost('evil.example.com')).toBeUndefined();
    expect(serverCert.checkIP('10.20.30.41')).toBeUndefined();
  });

  it('is a server-auth certificate valid from yesterday for about 13 months', () => {
    const serverCert = new X509Certificate(server.certPem);
    expect(serverCert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(serverCert.validFrom).getTime()).toBeLessThanOrEqual(now.getTime() - DAY_MS + 1000);
    const validTo = new Date(serverCert.validTo).getTime();
    expect(validTo).toBeGreaterThan(now.getTime() + 390 * DAY_MS);
    expect(validTo).toBeLessThanOrEqual(now.getTime() + 398 * DAY_MS);
  });

  it('writes PEM that ends with a newline and never puts the key in the certificate', () => {
    expect(server.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect(server.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(server.certPem).not.toContain('PRIVATE KEY');
  });

  it('describes a certificate', () => {
    const description = describeCertificate(server.certPem);
    expect(description.subject).toBe('CN=localhost');
    expect(description.subjectAltName).toContain('DNS:cp.example.com');
    expect(description.validTo.getTime()).toBeGreaterThan(now.getTime());
  });
});

describe('isValidSubjectAltName', () => {
  it.each(['localhost', 'cp.example.com', 'CP.Example.COM', '*.example.com', 'a', 'xn--bcher-kva.example', 'a-b.c-d.example', '127.0.0.1', '10.0.0.5', '::1', 'fe80::1', '2001:db8::42'])(
    'accepts %j',
    (name) => {
      expect(isValidSubjectAltName(name)).toBe(true);
    },
  );

  it.each([
    '',
    ' ',
    'cp example.com',
    ' localhost',
    'localhost ',
    'cp.example.com/path',
    'https://cp.example.com',
    'a\\b',
    'host:8443',
    'under_score.example',
    '-leading.example',
    'trailing-.example',
    'double..dot',
    '.leading.dot',
    'trailing.dot.',
    '*',
    '*.',
    'a.*.example',
    'x'.repeat(64) + '.example',
    Array.from({ length: 43 }, () => 'abcde').join('.'),
    'host\nname',
    'caf\u00e9.example',
  ])('rejects %j', (name) => {
    expect(isValidSubjectAltName(name)).toBe(false);
  });
});
