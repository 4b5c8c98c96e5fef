import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { KeptHead, type SignedTreeHeadView } from '../../contracts/audit';
import { safeJson, writeFileAtomic } from '../control-plane/atomic-file';

const StoredHeads = z.strictObject({
  version: z.literal(1),
  /** connection id → ledger id → the last head that checked. */
  connections: z.record(z.string(), z.record(z.string(), KeptHead)),
});
type StoredHeads = z.infer<typeof StoredHeads>;

/**
 * The last signed tree head the console saw per (connection, ledger), in
 * `<console data>/witnessed-heads.json` (0600, written atomically). Heads are public, signed
 * statements: the file holds no token or secret. It is what binds a control plane to its past, so
 * a file that does not parse is set aside (kept as evidence), never overwritten.
 */
export class WitnessStore {
  constructor(
    private readonly consoleDataDir: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  get file(): string {
    return join(this.consoleDataDir, 'witnessed-heads.json');
  }

  get(connection: string, ledger: string): KeptHead | null {
    return this.load().connections[connection]?.[ledger] ?? null;
  }

  /** Keeps `head` as the last one seen of `ledger` on `connection` (only ever after it checked). */
  keep(connection: string, ledger: string, head: SignedTreeHeadView, at: Date): KeptHead {
    const state = this.load();
    const kept: KeptHead = { head, kept_at: at.toISOString() };
    state.connections[connection] = { ...state.connections[connection], [ledger]: kept };
    writeFileAtomic(this.file, JSON.stringify(StoredHeads.parse(state), null, 2) + '\n');
    return kept;
  }

  /** A connection removed from the console: its heads go with it. */
  forget(connection: string): void {
    const state = this.load();
    if (state.connections[connection] === undefined) return;
    const connections = Object.fromEntries(Object.entries(state.connections).filter(([id]) => id !== connection));
    writeFileAtomic(this.file, JSON.stringify({ ...state, connections }, null, 2) + '\n');
  }

  private load(): StoredHeads {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, connections: {} };
      throw error;
    }
    const parsed = StoredHeads.safeParse(safeJson(text));
    if (parsed.success) return parsed.data;
    const aside = `${this.file}.damaged-${Date.now()}`;
    renameSync(this.file, aside);
    this.log(`witnessed-heads.json did not parse; kept as ${aside}: the next heads are trusted anew`);
    return { version: 1, connections: {} };
  }
}
