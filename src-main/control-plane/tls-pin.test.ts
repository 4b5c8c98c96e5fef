import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCertificateAuthority, createServerCertificate, type PemPair } from '../../control-plane/tls/certificates';
import { ConsoleError } from '../console-error';
import { ControlPlaneClient } from './client';
import { checkPinnedChain, formatFingerprint, parseCaCertificate, sha256Hex } from './tls-pin';

const Health = z.object({ status: z.literal('ok') });

/** A real HTTPS server presenting `chainPem` (leaf first) with the leaf's key. */
async function serve(chainPem: string, keyPem: string): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: chainPem, key: keyPem }, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const fingerprintOf = (pem: string) => sha256Hex(new X509Certificate(pem).raw);

async function refusal(client: ControlPlaneClient): Promise<ConsoleError> {
  const error: unknown = await client.call('GET', '/healthz', Health).catch((caught: unknown) => caught);
  await client.close();
  if (error instanceof ConsoleError) return error;
  throw new Error(`expected a ConsoleError, got ${String(error)}`);
}

describe('pinning a control plane (real TLS)', () => {
  let ca: PemPair;
  let leaf: PemPair;
  let real: { server: Server; url: string };
  let impostor: { server: Server; url: string };
  let impostorCa: PemPair;

  beforeAll(async () => {
    ca = await createCertificateAuthority('the real deployment');
    leaf = await createServerCertificate(ca, ['localhost', '127.0.0.1']);
    // As `serve` does: the chain includes the CA.
    real = await serve(leaf.certPem + ca.certPem, leaf.keyPem);
    // An impostor sends the real CA's certificate (public, anyone can copy it) after its own leaf,
    // which names the real CA as its issuer (subject and key identifier) but is signed by another key.
    impostorCa = await createCertificateAuthority('the impostor');
    const impostorLeaf = await createServerCertificate({ certPem: ca.certPem, keyPem: impostorCa.keyPem }, ['127.0.0.1']);
    impostor = await serve(impostorLeaf.certPem + ca.certPem, impostorLeaf.keyPem);
  });

  afterAll(() => {
    real.server.close();
    impostor.server.close();
  });

  it('reaches a server by its CA certificate, and tells what matched', async () => {
    const client = new ControlPlaneClient({ url: real.url, caPem: ca.certPem });
    const peer = await client.probe();
    await client.close();
    expect(peer.matched).toBe('ca');
    expect(peer.chain[0]?.subject).toContain('CN=localhost');
  });

  it("reaches a server by its CA's fingerprint or its own certificate's fingerprint", async () => {
    const byCa = new ControlPlaneClient({ url: real.url, fingerprint: fingerprintOf(ca.certPem) });
    const peer = await byCa.probe();
    await byCa.close();
    expect(peer.matched).toBe('ca_fingerprint');
    expect(peer.chain.map((cert) => cert.fingerprint)).toEqual([formatFingerprint(fingerprintOf(leaf.certPem)), formatFingerprint(fingerprintOf(ca.certPem))]);
    const byLeaf = new ControlPlaneClient({ url: real.url, fingerprint: fingerprintOf(leaf.certPem) });
    expect((await byLeaf.probe()).matched).toBe('leaf_fingerprint');
    await byLeaf.close();
  });

  it('refuses another CA with control_plane_untrusted, saying why', async () => {
    const error = await refusal(new ControlPlaneClient({ url: real.url, caPem: impostorCa.certPem }));
    expect(error.code).toBe('control_plane_untrusted');
    expect(error.message).toMatch(/pinned CA certificate does not vouch for/);
  });

  it('refuses a wrong fingerprint, listing what the server presented', async () => {
    const error = await refusal(new ControlPlaneClient({ url: real.url, fingerprint: '0'.repeat(64) }));
    expect(error.code).toBe('control_plane_untrusted');
    expect(error.message).toContain('none of the certificates it presented has the pinned SHA-256 fingerprint 00:00');
    expect(error.message).toContain(formatFingerprint(fingerprintOf(ca.certPem)));
  });

  it("refuses an impostor that sends the pinned CA's certificate without being signed by it", async () => {
    const error = await refusal(new ControlPlaneClient({ url: impostor.url, fingerprint: fingerprintOf(ca.certPem) }));
    expect(error.code).toBe('control_plane_untrusted');
    expect(error.message).toMatch(/not signed by the pinned CA's chain/);
    // And the same impostor by CA certificate: Node's own verification refuses it.
    expect((await refusal(new ControlPlaneClient({ url: impostor.url, caPem: ca.certPem }))).code).toBe('control_plane_untrusted');
  });

  it('tells an unreachable control plane apart from an untrusted one', async () => {
    const closed = await serve(leaf.certPem, leaf.keyPem);
    closed.server.close();
    const error = await refusal(new ControlPlaneClient({ url: closed.url, caPem: ca.certPem }));
    expect(error.code).toBe('control_plane_unreachable');
  });
});

describe('checkPinnedChain', () => {
  it('refuses a pinned CA when the leaf is not for the host, and a chain out of date', async () => {
    const ca = await createCertificateAuthority('ca');
    const leaf = await createServerCertificate(ca, ['cp.example.net']);
    const chain = [new X509Certificate(leaf.certPem), new X509Certificate(ca.certPem)];
    const caPin = fingerprintOf(ca.certPem);
    expect(checkPinnedChain(chain, caPin, 'cp.example.net')).toBe('ca_fingerprint');
    expect(() => checkPinnedChain(chain, caPin, '127.0.0.1')).toThrow(/not for 127\.0\.0\.1/);
    expect(() => checkPinnedChain(chain, caPin, 'cp.example.net', new Date('2100-01-01T00:00:00Z'))).toThrow(/not valid now/);
    // A pinned leaf is the server itself: its name is not checked, its dates are.
    expect(checkPinnedChain(chain, fingerprintOf(leaf.certPem), 'other.example.net')).toBe('leaf_fingerprint');
  });
});

describe('parseCaCertificate', () => {
  it('accepts one CA certificate, and refuses a leaf, a bundle and garbage with a reason', async () => {
    const ca = await createCertificateAuthority('ca');
    const leaf = await createServerCertificate(ca, ['localhost']);
    expect(parseCaCertificate(`some text before\n${ca.certPem}`).fingerprint).toBe(fingerprintOf(ca.certPem));
    expect(() => parseCaCertificate(leaf.certPem)).toThrow(/not a CA certificate/);
    expect(() => parseCaCertificate(ca.certPem + ca.certPem)).toThrow(/not a bundle/);
    expect(() => parseCaCertificate('hello')).toThrow(/not a PEM certificate/);
    expect(() => parseCaCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(/does not parse/);
  });
});
