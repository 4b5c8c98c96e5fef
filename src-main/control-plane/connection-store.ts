import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { safeJson, writeFileAtomic } from './atomic-file';
import { z } from 'zod';
import { ConnectionId, EMBEDDED_CONNECTION_ID } from '../../contracts/ipc';

/** A remote control plane as saved: where it is and what is pinned. Never a token or a password. */
export const StoredRemote = z.strictObject({
  id: ConnectionId,
  name: z.string().min(1).max(64),
  url: z.url(),
  ca_pem: z.string().optional(),
  /** Lowercase hex SHA-256. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  added_at: z.string(),
});
export type StoredRemote = z.infer<typeof StoredRemote>;

const StoredConnections = z.strictObject({
  version: z.literal(1),
  active: ConnectionId,
  remotes: z.array(StoredRemote),
});
export type StoredConnections = z.infer<typeof StoredConnections>;

const empty = (): StoredConnections => ({ version: 1, active: EMBEDDED_CONNECTION_ID, remotes: [] });

export function newConnectionId(): string {
  return `c_${randomBytes(8).toString('hex')}`;
}

/**
 * The console's connections, in `<console data>/connections.json` (0600). Each save writes a
 * temporary file, syncs it and renames it over the old one, so a crash leaves the old list or the
 * new one, never half of either. A file that does not parse is kept aside, not overwritten.
 */
export class ConnectionStore {
  constructor(
    private readonly consoleDataDir: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  get file(): string {
    return join(this.consoleDataDir, 'connections.json');
  }

  load(): StoredConnections {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw error;
    }
    const parsed = StoredConnections.safeParse(safeJson(text));
    if (!parsed.success) {
      const aside = `${this.file}.damaged-${Date.now()}`;
      renameSync(this.file, aside);
      this.log(`connections.json did not parse; kept as ${aside}, starting with the embedded control plane only`);
      return empty();
    }
    const state = parsed.data;
    // An active id that no longer exists (edited by hand) falls back to the embedded control plane.
    if (state.active !== EMBEDDED_CONNECTION_ID && !state.remotes.some((remote) => remote.id === state.active)) {
      return { ...state, active: EMBEDDED_CONNECTION_ID };
    }
    return state;
  }

  save(state: StoredConnections): void {
    writeFileAtomic(this.file, JSON.stringify(StoredConnections.parse(state), null, 2) + '\n');
  }
}
