import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { z } from 'zod';
import { ConsistencyProofView, LedgerKeysView, SignedTreeHeadView } from '../../contracts/audit';
import { checkNewHead } from '../../contracts/ledger-witness';

/**
 * `control-plane audit verify-remote`: a witness for scripts. Fetches the published ledger keys and
 * the ledger's new signed head, checks the signature and, against the head saved by the last run, a
 * consistency proof (RFC 6962); saves the new head only when both hold. It shares the check with the
 * console and the portal (contracts/ledger-witness.ts) and trusts nothing of the server but its
 * answers. An operator session (bho_) witnesses the provider ledger, a tenant token the tenant's own.
 */
export const AUDIT_TOKEN_ENV = 'BULKHEAD_AUDIT_TOKEN';

export interface VerifyRemoteOptions {
  url: string;
  ca?: string | undefined;
  head: string;
  tokenFile?: string | undefined;
}

/** Bad usage (exit 2): nothing was checked. */
export class VerifyRemoteUsageError extends Error {}

interface Output {
  write(text: string): unknown;
}

function get<T>(base: URL, path: string, schema: z.ZodType<T>, token: string, ca: string | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(url, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, ...(ca === undefined ? {} : { ca }), timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${url.pathname} answered ${res.statusCode ?? 'nothing'}: ${text.slice(0, 300)}`));
          return;
        }
        try {
          resolve(schema.parse(JSON.parse(text)));
        } catch {
          reject(new Error(`GET ${url.pathname} answered something that is not its contract`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function readToken(options: VerifyRemoteOptions, env: NodeJS.ProcessEnv): string {
  const token = options.tokenFile === undefined ? env[AUDIT_TOKEN_ENV] : readFileSync(options.tokenFile, 'utf8');
  if (token === undefined || token.trim() === '') {
    throw new VerifyRemoteUsageError(`a credential is needed: --token-file <file> or $${AUDIT_TOKEN_ENV} (an operator session for the provider ledger, a tenant token for the tenant's).`);
  }
  return token.trim();
}

function readSavedHead(file: string): SignedTreeHeadView | null {
  if (!existsSync(file)) return null;
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    saved = null;
  }
  const parsed = SignedTreeHeadView.safeParse(saved);
  if (!parsed.success) throw new VerifyRemoteUsageError(`${file} is not a saved head (a JSON signed tree head of an earlier run).`);
  return parsed.data;
}

/** Exit 0: the new head extends the saved one (saved in its place); 1: it does not, or it could not be checked. */
export async function runVerifyRemote(options: VerifyRemoteOptions, env: NodeJS.ProcessEnv, out: Output, err: Output): Promise<0 | 1> {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new VerifyRemoteUsageError(`--url ${JSON.stringify(options.url)} is not a URL.`);
  }
  if (base.protocol !== 'https:') throw new VerifyRemoteUsageError('--url must be https://');
  const token = readToken(options, env);
  const ca = options.ca === undefined ? undefined : readFileSync(options.ca, 'utf8');
  const stored = readSavedHead(options.head);
  const plane = token.startsWith('bho_') ? '/provider/v1/audit' : '/v1/audit';
  const keys = (await get(base, '/.well-known/bulkhead-ledger-keys', LedgerKeysView, token, ca)).keys;
  const fresh = await get(base, `${plane}/head`, SignedTreeHeadView, token, ca);
  // A smaller ledger has no proof to ask for: checkNewHead names it rewritten.
  const proof = stored === null || stored.tree_size > fresh.tree_size ? null : await get(base, `${plane}/consistency?from=${stored.tree_size}&to=${fresh.tree_size}`, ConsistencyProofView, token, ca);
  const verdict = await checkNewHead({ stored, fresh, keys, proof });
  if (!verdict.ok) {
    err.write(`\n!!! ${verdict.problem === 'history_rewritten' ? 'HISTORY REWRITTEN' : 'HEAD REFUSED'} !!!\n${verdict.message}\nThe saved head ${options.head} is kept: it is the evidence.\n\n`);
    return 1;
  }
  const temporary = `${options.head}.tmp`;
  writeFileSync(temporary, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o644 });
  renameSync(temporary, options.head);
  out.write(
    stored === null
      ? `No saved head: trusting ledger ${fresh.ledger} at ${fresh.tree_size} entries (root ${fresh.root_hash}) from now on; saved to ${options.head}.\n`
      : `OK: ledger ${fresh.ledger} at ${fresh.tree_size} entries extends the head saved at ${stored.tree_size} entries; saved to ${options.head}.\n`,
  );
  return 0;
}
