import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVIDENCE_FORMAT, KeyError, newSigningKey, publicKeyFromPem, signEvidence, signingKeyFromPem, verifyEvidence } from './evidence';

const report = () => ({
  format: EVIDENCE_FORMAT,
  generated_at: '2026-05-01T10:00:00.000Z',
  control_plane: { url: 'https://127.0.0.1:8443', version: '0.1.0' },
  attempts: { total: 4321, leaks: 0, by_route: [{ route: 'GET /v1/tests/{id}', attempts: 12, leaks: 0 }] },
  ledgers: { signed_heads: false },
});

describe('isolation evidence: sign and verify', () => {
  const { privateKey, publicKeyPem } = newSigningKey();
  const publicKey = publicKeyFromPem(publicKeyPem);

  it('round-trips: a signed report verifies with its public key, re-indented or with keys reordered', () => {
    const signed = signEvidence(report(), privateKey);
    const verdict = verifyEvidence(JSON.stringify(signed, null, 2), publicKey);
    expect(verdict.valid).toBe(true);
    if (verdict.valid) expect(verdict.summary.attempts).toMatchObject({ total: 4321, leaks: 0 });
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(verifyEvidence(JSON.stringify(reordered), publicKey).valid).toBe(true);
    expect(signed.signature.public_key_pem).toBe(publicKeyPem);
  });

  it('detects any change to what was signed, a missing signature, another format and another key', () => {
    const signed = signEvidence(report(), privateKey);
    const tampered = JSON.parse(JSON.stringify(signed)) as { attempts: { leaks: number } };
    expect(verifyEvidence(JSON.stringify(tampered), publicKey).valid).toBe(true);
    tampered.attempts.leaks = 1;
    expect(verifyEvidence(JSON.stringify(tampered), publicKey)).toEqual({ valid: false, reason: 'the signature does not match the content: the report was changed after it was signed' });
    // A member added after signing.
    expect(verifyEvidence(JSON.stringify({ ...signed, note: 'all fine' }), publicKey).valid).toBe(false);
    const { signature: _signature, ...unsigned } = signed;
    expect(verifyEvidence(JSON.stringify(unsigned), publicKey)).toEqual({ valid: false, reason: 'it carries no Ed25519 signature' });
    expect(verifyEvidence(JSON.stringify({ ...signed, format: 'something-else/1' }), publicKey)).toMatchObject({ valid: false, reason: expect.stringMatching(/^not an isolation evidence report/) as unknown });
    expect(verifyEvidence('{"format":', publicKey)).toEqual({ valid: false, reason: 'not JSON' });
    const other = publicKeyFromPem(newSigningKey().publicKeyPem);
    expect(verifyEvidence(JSON.stringify(signed), other)).toMatchObject({ valid: false, reason: expect.stringMatching(/^signed by another key/) as unknown });
    // Swapping in another key's fingerprint and PEM does not help: the signature is still the first key's.
    const forged = signEvidence(report(), newSigningKey().privateKey);
    expect(verifyEvidence(JSON.stringify({ ...forged, signature: { ...forged.signature, public_key_sha256: signed.signature.public_key_sha256 } }), publicKey).valid).toBe(false);
  });

  it('takes Ed25519 keys only, and never a private key where a public key is expected', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => signingKeyFromPem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(KeyError);
    expect(() => publicKeyFromPem(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/rsa key/);
    expect(() => publicKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(/a private key/);
    expect(() => publicKeyFromPem('hello')).toThrow(/not a PEM public key/);
    expect(signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).asymmetricKeyType).toBe('ed25519');
  });
});
