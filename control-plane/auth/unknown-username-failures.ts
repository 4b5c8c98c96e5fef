/** Failed sign-ins from one address for usernames that do not exist, since the last ledger entry. */
export interface UnknownUsernameAggregate {
  address: string;
  attempts: number;
  since: string;
  /** A few of the names tried (bounded), enough to spot an attack. */
  usernames: string[];
}

interface Throttle {
  failures: number;
  lockedUntilMs: number | null;
}

const SAMPLE = 5;
const LEDGER_EVERY_MS = 60_000;

/**
 * Sign-in failures for usernames that do not exist. Storage keeps throttles and ledger entries for
 * real operators only; a stranger trying random names would otherwise add a row and an entry per
 * attempt. Here the throttle lives in memory (bounded: the oldest entries go first), behaving as
 * the stored one does so a lock-out does not tell which names exist, and the ledger gets at most
 * one entry per address a minute, counting the attempts since the previous one.
 */
export class UnknownUsernameFailures {
  private readonly throttles = new Map<string, Throttle>();
  private readonly pending = new Map<string, UnknownUsernameAggregate>();
  private readonly lastLedgeredMs = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  lockedUntil(key: string, nowMs: number): number | null {
    const until = this.throttles.get(key)?.lockedUntilMs ?? null;
    return until !== null && until > nowMs ? until : null;
  }

  /** Counts a failure for `key`; answers the failures so far (as the stored throttle does). */
  recordFailure(key: string): number {
    const throttle = this.throttles.get(key) ?? { failures: 0, lockedUntilMs: null };
    throttle.failures++;
    // Re-inserted, so the map's order is least recently failed first.
    this.throttles.delete(key);
    this.throttles.set(key, throttle);
    this.bound(this.throttles);
    return throttle.failures;
  }

  lock(key: string, untilMs: number): void {
    const throttle = this.throttles.get(key);
    if (throttle !== undefined) throttle.lockedUntilMs = untilMs;
  }

  /** Notes a failure from `address`; answers an aggregate to ledger now, at most once a minute per address. */
  note(address: string, username: string, now: Date): UnknownUsernameAggregate | null {
    const aggregate = this.pending.get(address) ?? { address, attempts: 0, since: now.toISOString(), usernames: [] };
    aggregate.attempts++;
    if (aggregate.usernames.length < SAMPLE && !aggregate.usernames.includes(username)) aggregate.usernames.push(username);
    this.pending.set(address, aggregate);
    const last = this.lastLedgeredMs.get(address);
    if (last !== undefined && now.getTime() - last < LEDGER_EVERY_MS) {
      this.bound(this.pending);
      return null;
    }
    this.pending.delete(address);
    this.lastLedgeredMs.delete(address);
    this.lastLedgeredMs.set(address, now.getTime());
    this.bound(this.lastLedgeredMs);
    return aggregate;
  }

  /** Every aggregate not ledgered yet (on close: nothing counted is lost). */
  drain(): UnknownUsernameAggregate[] {
    const all = [...this.pending.values()];
    this.pending.clear();
    return all;
  }

  private bound(map: Map<string, unknown>): void {
    while (map.size > this.maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) return;
      map.delete(oldest);
    }
  }
}
