import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionStore, newConnectionId, type StoredConnections } from './connection-store';

const remote = (id: string, name: string) => ({ id, name, url: 'https://cp.example.net:8443', fingerprint: 'ab'.repeat(32), added_at: '2026-01-01T00:00:00.000Z' });

describe('ConnectionStore', () => {
  let dir: string;
  const logged: string[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-connections-'));
    logged.length = 0;
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the embedded control plane only when there is no file', () => {
    expect(new ConnectionStore(dir).load()).toEqual({ version: 1, active: 'embedded', remotes: [] });
  });

  it('saves with a temporary file and a rename, 0600, and reads it back', () => {
    const store = new ConnectionStore(join(dir, 'console'));
    const id = newConnectionId();
    const state: StoredConnections = { version: 1, active: id, remotes: [remote(id, 'EU')] };
    store.save(state);
    expect(readdirSync(join(dir, 'console'))).toEqual(['connections.json']);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(new ConnectionStore(join(dir, 'console')).load()).toEqual(state);
    store.save({ ...state, active: 'embedded' });
    expect(readdirSync(join(dir, 'console'))).toEqual(['connections.json']);
    expect(store.load().active).toBe('embedded');
  });

  it('refuses to save what would not load again (the file keeps its old content)', () => {
    const store = new ConnectionStore(dir);
    store.save({ version: 1, active: 'embedded', remotes: [] });
    const before = readFileSync(store.file, 'utf8');
    expect(() => store.save({ version: 1, active: 'embedded', remotes: [{ ...remote('c_0123456789abcdef', 'EU'), token: 'bho_secret' } as never] })).toThrow();
    expect(readFileSync(store.file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['connections.json']);
  });

  it('keeps a damaged file aside instead of overwriting it, and says so', () => {
    const store = new ConnectionStore(dir, (message) => logged.push(message));
    writeFileSync(store.file, '{"version":1,"active":');
    expect(store.load()).toEqual({ version: 1, active: 'embedded', remotes: [] });
    const names = readdirSync(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^connections\.json\.damaged-\d+$/);
    expect(logged[0]).toContain('did not parse');
  });

  it('falls back to the embedded control plane when the active connection is not in the list', () => {
    const store = new ConnectionStore(dir);
    writeFileSync(store.file, JSON.stringify({ version: 1, active: 'c_0123456789abcdef', remotes: [] }));
    expect(store.load().active).toBe('embedded');
  });
});
