import { describe, expect, it } from 'vitest';
import type { KeptHead, SignedTreeHeadView, WitnessFailureReport } from './audit';
import { witnessLedger, type WitnessIo } from './witness-flow';

// The flow's own branches around checkNewHead (whose proofs and signatures ledger-witness.test.ts
// checks; the consistent and rewritten paths run against real control planes in
// src-main/services/witness-handlers.test.ts and test/integration/portal-witness.test.ts).
const head = (tree_size: number, ledger = 'provider'): SignedTreeHeadView => ({ ledger, tree_size, root_hash: 'a'.repeat(64), timestamp: 1, key_id: 'b'.repeat(64), signature: `${'A'.repeat(86)}==` });

function io(kept: KeptHead | null, report: (report: WitnessFailureReport) => Promise<{ ledger: string; seq: number }>): WitnessIo & { sent: WitnessFailureReport[]; kept_heads: SignedTreeHeadView[] } {
  const sent: WitnessFailureReport[] = [];
  const keptHeads: SignedTreeHeadView[] = [];
  let remembered: { ledger: string; seq: number } | null = null;
  return {
    ledger: 'provider',
    sent,
    kept_heads: keptHeads,
    keys: () => Promise.resolve([]),
    head: () => Promise.resolve(head(7)),
    consistency: (from, to) => Promise.resolve({ from, to, proof: [] }),
    kept: () => kept,
    keep: (fresh) => {
      keptHeads.push(fresh);
      return { head: fresh, kept_at: 'now' };
    },
    report: (failure) => {
      sent.push(failure);
      return report(failure);
    },
    reported: () => remembered,
    remember: (_kept, recorded) => {
      remembered = recorded;
    },
  };
}

describe('witnessLedger', () => {
  it('refuses a first head no published key signed, keeping nothing and reporting nothing', async () => {
    const look = io(null, () => Promise.resolve({ ledger: 'provider', seq: 1 }));
    expect(await witnessLedger(look)).toMatchObject({ state: 'refused', kept: null, recorded: null, record_error: 'Nothing was kept to report against.' });
    expect(look.kept_heads).toEqual([]);
    expect(look.sent).toEqual([]);
  });

  it('reports a refused head against the kept one once, and says why a report failed', async () => {
    const kept = { head: head(5), kept_at: '2026-12-06T03:00:00.000Z' };
    const look = io(kept, () => Promise.resolve({ ledger: 'provider', seq: 9 }));
    expect(await witnessLedger(look)).toMatchObject({ state: 'refused', kept, recorded: { seq: 9 }, record_error: null });
    expect(await witnessLedger(look)).toMatchObject({ state: 'refused', recorded: { seq: 9 } });
    expect(look.sent).toEqual([{ problem: 'bad_signature', kept: kept.head, seen: head(7) }]);
    expect(look.kept_heads).toEqual([]);

    const failing = io(kept, () => Promise.reject(Object.assign(new Error('Sign in first.'), { code: 'unauthorized' })));
    expect(await witnessLedger(failing)).toMatchObject({ state: 'refused', recorded: null, record_error: 'unauthorized: Sign in first.' });
  });
});
