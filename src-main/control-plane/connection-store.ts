import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
    mkdirSync(this.consoleDataDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(StoredConnections.parse(state), null, 2) + '\n');
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(temp);
      throw error;
    }
    closeSync(fd);
    renameSync(temp, this.file);
    syncDir(dirname(this.file));
  }
}

/** The rename is durable only once the directory entry is. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
