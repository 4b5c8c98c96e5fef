import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryFault, prepareAppend, type StoredEntry } from './ledger-chain';
import { entryLeafHash, entryMac } from './ledger-codec';
import { HexFrontier, RangeCheck, SpanCheck, alignedBlocks, entryLeafHex, entryMacHex, nodeHex, type HexEntryRow } from './ledger-range-check';
import { MerkleFrontier, nodeHash } from './merkle';

const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constant('é'.repeat(9_000)), fc.constant('\ud800x'));

/** A random ledger of `size` entries as prepareAppend stores them (the Buffer path). */
function ledger(key: Buffer, ledgerId: string, size: number, seed: number): StoredEntry[] {
  const entries: StoredEntry[] = [];
  for (let seq = 1; seq <= size; seq++) {
    const details = { n: seq * seed, note: seq % 7 === 0 ? 'ü\u{1F600}'.repeat(seq % 5) : `s${seed}` };
    entries.push(prepareAppend(key, ledgerId, seq, { actor: `a${seq % 3}`, eventType: 'E', tenantId: seq % 2 === 0 ? null : 't', details }, `2026-12-06T00:00:${String(seq % 60).padStart(2, '0')}.000Z`));
  }
  return entries;
}

const hexRow = (entry: StoredEntry): HexEntryRow => ({ ...entry, leafHex: entry.leafHash.toString('hex'), macHex: entry.mac.toString('hex') });

describe('ledger-range-check: the hex path hashes as the Buffer path', () => {
  it('entryLeafHex and entryMacHex equal entryLeafHash and entryMac for any text, key and ledger id', () => {
    fc.assert(
      fc.property(
        fc.record({ ledgerId: text, seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), ts: text, actor: text, eventType: text, tenantId: fc.option(text), detailsJson: text }),
        fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.constant(new Uint8Array(32))),
        (entry, keyBytes) => {
          const key = Buffer.from(keyBytes);
          const leaf = entryLeafHash(entry);
          expect(entryLeafHex(entry)).toBe(leaf.toString('hex'));
          expect(entryMacHex(key, entry.ledgerId, entry.seq, leaf.toString('hex'))).toBe(entryMac(key, entry.ledgerId, entry.seq, leaf).toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('HexFrontier holds the subtrees and completes the nodes MerkleFrontier does, at any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), (size) => {
        const hex = new HexFrontier();
        const buffers = new MerkleFrontier();
        const hexNodes: string[] = [];
        const bufferNodes: string[] = [];
        for (let i = 0; i < size; i++) {
          const leaf = randomBytes(32);
          hex.append(leaf.toString('hex'), (level, index, hash) => hexNodes.push(`${level}/${index}/${hash}`));
          buffers.append(leaf, (level, index, hash) => bufferNodes.push(`${level}/${index}/${hash.toString('hex')}`));
        }
        expect(hex.size).toBe(size);
        expect(hex.subtrees()).toEqual(buffers.subtrees().map(([level, hash]) => [level, hash.toString('hex')]));
        expect(hexNodes).toEqual(bufferNodes);
      }),
      { numRuns: 60 },
    );
    const [a, b] = [randomBytes(32), randomBytes(32)];
    expect(nodeHex(a.toString('hex'), b.toString('hex'))).toBe(nodeHash(a, b).toString('hex'));
  });

  it('RangeCheck over random ledgers and aligned ranges: the same subtrees, nodes and first fault as the Buffer path', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 3 }), (size, widthLog, seed, tamper) => {
        const entries = ledger(key, 'provider', size, seed);
        const width = 2 ** (widthLog + 5);
        const start = Math.floor(seed % Math.max(1, Math.ceil(size / width))) * width;
        const end = Math.min(size, start + width);
        const target = start + 1 + (seed % Math.max(1, end - start));
        const rows = entries.map(hexRow);
        const at = rows[target - 1] as HexEntryRow;
        if (tamper === 1) at.detailsJson = `${at.detailsJson} `;
        if (tamper === 2) at.macHex = at.macHex.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        if (tamper === 3) rows.splice(target - 1, 1);
        // The reference: entryFault and MerkleFrontier over the same rows, as Buffers.
        const reference = new MerkleFrontier();
        const nodes: string[] = [];
        let expectedFault: { seq: number; reason: string } | null = null;
        for (const row of rows.filter((r) => r.seq > start)) {
          const expectedSeq = start + reference.size + 1;
          if (expectedSeq > end) break;
          const out: { leaf: Buffer | null } = { leaf: null };
          const reason = entryFault(key, 'provider', { ...row, leafHash: Buffer.from(row.leafHex, 'hex'), mac: Buffer.from(row.macHex, 'hex') }, expectedSeq, out);
          if (reason !== null) {
            expectedFault = { seq: expectedSeq, reason };
            break;
          }
          reference.append(out.leaf as Buffer, (level, index, hash) => nodes.push(`${level}/${index + start / 2 ** level}/${hash.toString('hex')}`));
        }
        const seen: string[] = [];
        const check = new RangeCheck(key, 'provider', start, end, 1, (level, index) => {
          seen.push(`${level}/${index}`);
          return nodes.find((node) => node.startsWith(`${level}/${index}/`))?.split('/')[2];
        });
        for (const row of rows.filter((r) => r.seq > start)) if (!check.add(row)) break;
        expect(check.fault).toEqual(expectedFault);
        expect(check.nodeFault).toBeNull();
        expect(seen).toEqual(nodes.map((node) => node.split('/').slice(0, 2).join('/')));
        expect(check.subtrees().map(([level, hash]) => [level, Buffer.from(hash).toString('hex')])).toEqual(reference.subtrees().map(([level, hash]) => [level, hash.toString('hex')]));
      }),
      { numRuns: 120 },
    );
  });

  it('alignedBlocks cuts any span into power-of-two blocks, each starting at a multiple of its length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 21 }), fc.integer({ min: 1, max: 2 ** 21 }), (start, length) => {
        const blocks = alignedBlocks(start, start + length);
        let at = start;
        for (const [from, to] of blocks) {
          const size = to - from;
          expect(from).toBe(at);
          expect(size & (size - 1)).toBe(0);
          expect(from % size).toBe(0);
          at = to;
        }
        expect(at).toBe(start + length);
        expect(blocks.length).toBeLessThanOrEqual(2 * 22);
      }),
    );
    expect(alignedBlocks(499_712, 1_000_000).map(([from, to]) => to - from)).toEqual([8192, 16384, 262144, 131072, 65536, 16384, 512, 64]);
  });

  it('SpanCheck over any span: the first fault of the Buffer path, and subtrees that join the ledger before it into the ledger up to its end', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 3 }), (size, seed, tamper) => {
        const entries = ledger(key, 'provider', size, seed);
        const start = seed % size;
        const end = start + 1 + (Math.floor(seed / size) % (size - start));
        const target = start + 1 + (seed % (end - start));
        const rows = entries.map(hexRow);
        const at = rows[target - 1] as HexEntryRow;
        if (tamper === 1) at.detailsJson = `${at.detailsJson} `;
        if (tamper === 2) at.macHex = at.macHex.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        if (tamper === 3) rows.splice(target - 1, 1);
        const check = new SpanCheck(key, 'provider', start, end, 4, () => undefined);
        for (const row of rows.filter((r) => r.seq > start)) if (!check.add(row)) break;
        const leaves = entries.map((entry) => entry.leafHash);
        if (tamper === 0) {
          expect(check.fault).toBeNull();
          expect(check.checked).toBe(end - start);
          // The ledger's first `start` leaves, then the span's subtrees: the ledger's first `end`.
          const joined = new MerkleFrontier();
          leaves.slice(0, start).forEach((leaf) => joined.append(leaf));
          for (const [level, hash] of check.subtrees()) joined.appendSubtree(level, hash);
          const reference = new MerkleFrontier();
          leaves.slice(0, end).forEach((leaf) => reference.append(leaf));
          expect(joined.subtrees().map(([level, hash]) => [level, hash.toString('hex')])).toEqual(reference.subtrees().map(([level, hash]) => [level, hash.toString('hex')]));
        } else {
          // The ledger's last entry removed: rows run out, and the join's head check names it.
          expect(check.fault?.seq).toBe(tamper === 3 && target === size ? undefined : target);
          expect(check.checked).toBe(target - 1 - start);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('checks the leaf hash and the MAC apart: a 31-byte leaf hash whose last byte moved into the MAC is named', () => {
    const key = randomBytes(32);
    const rows = ledger(key, 'provider', 4, 1).map(hexRow);
    const row = rows[2] as HexEntryRow;
    // The concatenation leaf ‖ mac is unchanged: only the fields' lengths tell.
    row.macHex = row.leafHex.slice(62) + row.macHex;
    row.leafHex = row.leafHex.slice(0, 62);
    const check = new RangeCheck(key, 'provider', 0, 4, 1, () => undefined);
    for (const r of rows) if (!check.add(r)) break;
    expect(check.fault).toEqual({ seq: 3, reason: 'entry 3 does not match its leaf hash (its content was changed)' });
  });

  it('names a stored node that differs from the recomputed tree, and one that is missing', () => {
    const key = randomBytes(32);
    const rows = ledger(key, 'provider', 8, 2).map(hexRow);
    const stored = new Map<string, string>();
    const frontier = new MerkleFrontier();
    for (const row of rows) frontier.append(Buffer.from(row.leafHex, 'hex'), (level, index, hash) => stored.set(`${level}/${index}`, hash.toString('hex')));
    stored.set('2/1', '00'.repeat(32));
    const forged = new RangeCheck(key, 'provider', 0, 8, 2, (level, index) => stored.get(`${level}/${index}`));
    for (const row of rows) forged.add(row);
    expect(forged.fault).toBeNull();
    expect(forged.nodeFault).toBe('the stored tree node at level 2, index 1 (entries 5 to 8) differs from the tree recomputed from the entries (proofs from it would be wrong)');
    stored.delete('2/1');
    const missing = new RangeCheck(key, 'provider', 0, 8, 3, (level, index) => stored.get(`${level}/${index}`));
    for (const row of rows) missing.add(row);
    expect(missing.nodeFault).toBeNull();
    stored.delete('3/0');
    const gone = new RangeCheck(key, 'provider', 0, 8, 3, (level, index) => stored.get(`${level}/${index}`));
    for (const row of rows) gone.add(row);
    expect(gone.nodeFault).toContain('level 3, index 0 (entries 1 to 8) is missing');
  });
});
