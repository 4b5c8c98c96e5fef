import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateInProcess as simulate } from '../cli-in-process';
import { capturedStream } from '../report/captured-stream';
import { EVIDENCE_FORMAT, newSigningKey } from './evidence';
import { checkEvidenceOptions, publicKeyFileFor, writeEvidence } from './evidence-files';

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = () => capturedStream();

const report = { format: EVIDENCE_FORMAT, generated_at: '2026-05-01T10:00:00.000Z', control_plane: { url: 'https://127.0.0.1:8443', version: '0.1.0' }, attempts: { total: 5961, leaks: 0 } };

describe('evidence files and verify-evidence', () => {
  it('with a key made for the run: writes the report and its public key beside it, prints it, and verify-evidence says valid (exit 0)', async () => {
    const file = join(dir, 'made.json');
    const out = capture();
    const target = checkEvidenceOptions(file, undefined);
    if (target === null) throw new Error('no target');
    writeEvidence(target, report, out.stream);
    expect(publicKeyFileFor(file)).toBe(join(dir, 'made.pub.pem'));
    const pem = readFileSync(publicKeyFileFor(file), 'utf8');
    expect(out.text()).toContain(pem);
    expect(out.text()).toContain(`verify-evidence ${file} --public-key ${join(dir, 'made.pub.pem')}`);
    // The private half is nowhere on disk.
    expect(readFileSync(file, 'utf8')).not.toContain('PRIVATE KEY');
    const answer = await simulate('verify-evidence', file, '--public-key', publicKeyFileFor(file));
    expect(answer).toMatchObject({ code: 0, stderr: '' });
    expect(answer.stdout).toMatch(/^valid: .*made\.json is signed by the given key .* 5,961 attempts, 0 leaks/);
  });

  it('with --signing-key: verifies with its public key; a changed report, another key or a non-report is exit 1 in one line', async () => {
    const { privateKey, publicKeyPem } = newSigningKey();
    const keyFile = join(dir, 'signing.pem');
    const publicFile = join(dir, 'signing.pub.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(publicFile, publicKeyPem);
    const file = join(dir, 'given.json');
    const target = checkEvidenceOptions(file, keyFile);
    if (target === null) throw new Error('no target');
    writeEvidence(target, report, capture().stream);
    expect((await simulate('verify-evidence', file, '--public-key', publicFile)).code).toBe(0);

    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, readFileSync(file, 'utf8').replace('"total": 5961', '"total": 9999'));
    const changed = await simulate('verify-evidence', tampered, '--public-key', publicFile);
    expect(changed.code).toBe(1);
    expect(changed.stderr.trim().split('\n')).toEqual([`simulate: verify-evidence: ${tampered} is NOT valid: the signature does not match the content: the report was changed after it was signed`]);

    const other = join(dir, 'other.pub.pem');
    writeFileSync(other, newSigningKey().publicKeyPem);
    expect(await simulate('verify-evidence', file, '--public-key', other)).toMatchObject({ code: 1, stderr: expect.stringMatching(/NOT valid: signed by another key/) as unknown });
    const notReport = join(dir, 'package.json');
    writeFileSync(notReport, '{"name":"x"}');
    expect(await simulate('verify-evidence', notReport, '--public-key', publicFile)).toMatchObject({ code: 1, stderr: expect.stringMatching(/NOT valid: not an isolation evidence report/) as unknown });
  });

  it('bad usage is exit 2 in one line: a missing file, a key that is not a public Ed25519 key', async () => {
    const publicFile = join(dir, 'usage.pub.pem');
    writeFileSync(publicFile, newSigningKey().publicKeyPem);
    const privateFile = join(dir, 'usage.key.pem');
    writeFileSync(privateFile, newSigningKey().privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const cases: [string[], RegExp][] = [
      [['verify-evidence', join(dir, 'missing.json'), '--public-key', publicFile], /cannot read it \(ENOENT\)/],
      [['verify-evidence', join(dir, 'made.json'), '--public-key', privateFile], /--public-key .*: a private key: give the public key/],
      [['verify-evidence', join(dir, 'made.json'), '--public-key', join(dir, 'made.json')], /not a PEM public key/],
      [['isolation-probe', '--evidence', join(dir, 'x.json'), '--signing-key', publicFile], /--signing-key .*: not a PEM private key/],
    ];
    for (const [args, pattern] of cases) {
      const answer = await simulate(...args);
      expect(answer.code, args.join(' ')).toBe(2);
      expect(answer.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(pattern) as unknown]);
    }
  });
});
