import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignedTreeHeadView } from '../../contracts/audit';
import { WitnessStore } from './witness-store';

const head = (tree_size: number, ledger = 'provider'): SignedTreeHeadView => ({ ledger, tree_size, root_hash: String(tree_size % 10).repeat(64), timestamp: 1_700_000_000_000 + tree_size, key_id: 'a'.repeat(64), signature: `${'A'.repeat(86)}==` });

describe('WitnessStore: the last head seen per (connection, ledger)', () => {
  let dir: string;
  let logged: string[];
  let store: WitnessStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-witness-store-'));
    logged = [];
    store = new WitnessStore(join(dir, 'console'), (message) => logged.push(message));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps heads per connection and ledger, replaces them, and forgets a connection', () => {
    expect(store.get('embedded', 'provider')).toBeNull();
    const at = new Date('2026-12-06T03:00:00.000Z');
    expect(store.keep('embedded', 'provider', head(3), at)).toEqual({ head: head(3), kept_at: at.toISOString() });
    store.keep('c_0123456789abcdef', 'provider', head(9), at);
    store.keep('embedded', 'provider', head(5), at);
    expect(store.get('embedded', 'provider')?.head).toEqual(head(5));
    expect(store.get('c_0123456789abcdef', 'provider')?.head).toEqual(head(9));
    expect(store.get('embedded', 'tenant-x')).toBeNull();
    store.forget('c_0123456789abcdef');
    expect(store.get('c_0123456789abcdef', 'provider')).toBeNull();
    expect(store.get('embedded', 'provider')?.head).toEqual(head(5));
  });

  it('writes the file atomically, 0600, in a 0700 folder, leaving no temporary file', () => {
    store.keep('embedded', 'provider', head(1), new Date());
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'console')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dir, 'console'))).toEqual(['witnessed-heads.json']);
    expect(JSON.parse(readFileSync(store.file, 'utf8'))).toMatchObject({ version: 1 });
  });

  it('sets a damaged file aside as evidence instead of overwriting it', () => {
    store.keep('embedded', 'provider', head(1), new Date());
    writeFileSync(store.file, '{"version":1,"connections":{"embedded":{"provider":{"head":"cut sho');
    expect(store.get('embedded', 'provider')).toBeNull();
    const aside = readdirSync(join(dir, 'console')).filter((name) => name.startsWith('witnessed-heads.json.damaged-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, 'console', aside[0] ?? ''), 'utf8')).toContain('cut sho');
    expect(logged.join('\n')).toContain('did not parse');
  });
});
