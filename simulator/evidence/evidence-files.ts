import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ExitCode, SimulatorError, UsageError } from '../errors';
import { KeyError, keyFingerprint, newSigningKey, publicKeyFromPem, signEvidence, signingKeyFromPem, verifyEvidence } from './evidence';

/** Where an evidence report goes and the key that signs it (null: one made for the run). */
export interface EvidenceTarget {
  file: string;
  key: KeyObject | null;
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** Checks `--evidence` and `--signing-key` before a run starts (a bad one is exit 2, nothing started). */
export function checkEvidenceOptions(evidence: string | undefined, signingKey: string | undefined): EvidenceTarget | null {
  if (evidence === undefined) {
    if (signingKey !== undefined) throw new UsageError('--signing-key goes with --evidence <file>');
    return null;
  }
  try {
    accessSync(dirname(resolve(evidence)), constants.W_OK);
  } catch {
    throw new UsageError(`--evidence ${evidence}: cannot write there (no such folder, or not writable)`);
  }
  if (signingKey === undefined) return { file: evidence, key: null };
  try {
    return { file: evidence, key: signingKeyFromPem(readText('--signing-key', signingKey)) };
  } catch (error) {
    if (error instanceof KeyError) throw new UsageError(`--signing-key ${signingKey}: ${error.message}`);
    throw error;
  }
}

/** Beside the report: `evidence.json` → `evidence.pub.pem`. */
export function publicKeyFileFor(file: string): string {
  return `${file.replace(/\.json$/i, '')}.pub.pem`;
}

/**
 * Signs the report and writes it; with a key made for the run, writes its public key beside the
 * report and prints it (the private key is never written: this run's report is the only thing it signs).
 */
export function writeEvidence(target: EvidenceTarget, document: Record<string, unknown>, out: NodeJS.WriteStream): void {
  const made = target.key === null ? newSigningKey() : null;
  const key = made?.privateKey ?? target.key;
  if (key === null) throw new Error('no signing key');
  const signed = signEvidence(document, key);
  const write = (file: string, text: string) => {
    try {
      writeFileSync(file, text);
    } catch (error) {
      throw new SimulatorError(`--evidence ${file}: cannot write it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  write(target.file, `${JSON.stringify(signed, null, 2)}\n`);
  const fingerprint = keyFingerprint(createPublicKey(key));
  out.write(`Evidence: ${target.file}, signed with Ed25519 (key sha256 ${fingerprint}).\n`);
  if (made !== null) {
    const publicFile = publicKeyFileFor(target.file);
    write(publicFile, made.publicKeyPem);
    out.write(`The key was made for this run and its private half not kept. Its public key, also in ${publicFile}:\n${made.publicKeyPem}`);
  }
  out.write(`Check it with: npm run simulate -- verify-evidence ${target.file} --public-key ${made === null ? '<public key pem>' : publicKeyFileFor(target.file)}\n`);
}

/**
 * `verify-evidence <file> --public-key <pem>`: 0 when the report is signed by that key and unchanged
 * (one line saying what it attests), 1 when it is not (one line saying why), 2 for bad usage.
 */
export function verifyEvidenceFile(file: string, publicKeyFile: string, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): number {
  const text = readText('verify-evidence', file);
  let key: KeyObject;
  try {
    key = publicKeyFromPem(readText('--public-key', publicKeyFile));
  } catch (error) {
    if (error instanceof KeyError) throw new UsageError(`--public-key ${publicKeyFile}: ${error.message}`);
    throw error;
  }
  const verdict = verifyEvidence(text, key);
  if (!verdict.valid) {
    io.stderr.write(`simulate: verify-evidence: ${file} is NOT valid: ${verdict.reason}\n`);
    return ExitCode.invariantFailed;
  }
  const { summary } = verdict;
  io.stdout.write(
    `valid: ${file} is signed by the given key (sha256 ${verdict.keySha256.slice(0, 16)}…) and unchanged: control plane ${summary.control_plane.url} version ${summary.control_plane.version}, ${summary.attempts.total.toLocaleString('en-US')} attempts, ${summary.attempts.leaks} leaks, generated ${summary.generated_at}\n`,
  );
  return ExitCode.ok;
}
