import type { LedgerEntryView } from '../../contracts/audit';
import type { EngineFixture } from './test-engine';

/**
 * What a provider who holds the database and the deployment key can do: erase a ledger and append
 * it again with one entry changed, so every leaf, MAC, root and head is recomputed with the right
 * key material and the ledger verifies from the inside. Only a witness holding an older head notices.
 * `entries` oldest first; `more` entries are appended after them (a rewritten ledger that also grew).
 */
export async function rewriteLedger(engine: EngineFixture, deploymentKey: string, ledgerId: string, entries: readonly LedgerEntryView[], forge: { seq: number; details: Record<string, unknown> }, more = 0): Promise<void> {
  await engine.eraseLedger(ledgerId);
  const storage = await engine.openStorage(Buffer.from(deploymentKey, 'base64'));
  try {
    await storage.transaction(async (tx) => {
      for (const entry of entries) {
        const details = entry.seq === forge.seq ? forge.details : entry.details;
        await tx.appendLedger(ledgerId, { actor: entry.actor, eventType: entry.event_type, tenantId: entry.tenant_id, details }, entry.ts);
      }
      for (let i = 0; i < more; i++) {
        await tx.appendLedger(ledgerId, { actor: 'operator:admin', eventType: 'AUDIT_NOTE', tenantId: ledgerId === 'provider' ? null : ledgerId, details: { note: i } }, new Date().toISOString());
      }
    });
  } finally {
    await storage.close();
  }
}
