import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signHead } from '../audit/ledger-chain';
import { alignedBlocks } from '../audit/ledger-range-check';
import { MerkleFrontier } from '../audit/merkle';
import type { VerifyRangeResult } from './sqlite/ledger-verify-protocol';
import { firstIndexBeyond, threadShares, verifyInRanges } from './ledger-ranges';
import type { StoredNode } from './ledger';
import type { LedgerVerification } from './types';

/**
 * The join of verify's ranges (ledger-ranges.ts), without threads or rows: each range answers the
 * subtrees of its leaves, as a verify thread does; the nodes above a range's width are completed
 * by the join and compared with the stored ones; faults come in seq order, entries before nodes.
 */
const SIZE = 2 ** 17;
const key = randomBytes(32);
const leaves = Array.from({ length: SIZE }, () => randomBytes(32));
const whole = new MerkleFrontier();
const stored = new Map<string, string>();
leaves.forEach((leaf) => whole.append(leaf, (level, index, hash) => stored.set(`${level}/${index}`, hash.toString('hex'))));
const head = signHead(key, 'provider', whole);
const reasonOf = (verification: LedgerVerification): string => (verification.ok ? 'ok' : verification.reason);

/** A thread's answer for its share: each aligned block's subtrees, in order (as SpanCheck). */
function rangeOf(start: number, end: number, extra: Partial<VerifyRangeResult> = {}): VerifyRangeResult {
  const subtrees = alignedBlocks(start, end).flatMap(([from, to]) => {
    const frontier = new MerkleFrontier();
    leaves.slice(from, to).forEach((leaf) => frontier.append(leaf));
    return frontier.subtrees();
  });
  return { subtrees, fault: null, nodeFault: null, ...extra };
}

/** No stored node beyond the ledger's size. */
const none = () => Promise.resolve(null);

describe('verify in aligned ranges', () => {
  it('joins the ranges into the root of the signed head, and compares the nodes the join completes', async () => {
    const asked: string[] = [];
    const ranges: [number, number][] = [];
    const verdict = await verifyInRanges(
      key,
      'provider',
      head,
      SIZE,
      (start, end) => {
        ranges.push([start, end]);
        return Promise.resolve(rangeOf(start, end));
      },
      (nodes: readonly StoredNode[]) => {
        asked.push(...nodes.map((node) => `${node.level}/${node.index}`));
        return Promise.resolve(nodes.map((node) => stored.get(`${node.level}/${node.index}`)));
      },
      none,
    );
    expect(verdict).toMatchObject({ ok: true, size: SIZE });
    expect(verdict.root).toEqual(head.root);
    // Every stored node (level 4 and up) that no thread's aligned block holds whole, and only those, is asked for.
    const blocks = ranges.flatMap(([start, end]) => alignedBlocks(start, end));
    const inABlock = (level: number, index: number) => blocks.some(([from, to]) => index * 2 ** level >= from && (index + 1) * 2 ** level <= to);
    const expected = [...stored.keys()].filter((ref) => {
      const [level, index] = ref.split('/').map(Number) as [number, number];
      return level >= 4 && !inABlock(level, index);
    });
    expect(asked.sort()).toEqual(expected.sort());
    expect(asked).toContain('17/0');
  });

  it('cuts a ledger into even shares per thread on multiples of 4,096: not 52% of a million to one thread', () => {
    expect(threadShares(1_000_000, 2)).toEqual([[0, 499_712], [499_712, 1_000_000]]);
    expect(threadShares(1_000_000, 4)).toEqual([[0, 249_856], [249_856, 499_712], [499_712, 749_568], [749_568, 1_000_000]]);
    expect(threadShares(40_000, 2)).toEqual([[0, 20_480], [20_480, 40_000]]);
    expect(threadShares(5_000, 2)).toEqual([[0, 5_000]]);
    expect(threadShares(70_000, 1)).toEqual([[0, 70_000]]);
  });

  it('names a forged node over several ranges; an entry fault or a range node fault comes first', async () => {
    const forged = (nodes: readonly StoredNode[]) => Promise.resolve(nodes.map((node) => (node.level === 17 ? '00'.repeat(32) : stored.get(`${node.level}/${node.index}`))));
    const plain = (start: number, end: number) => Promise.resolve(rangeOf(start, end));
    expect(reasonOf(await verifyInRanges(key, 'provider', head, SIZE, plain, forged, none))).toBe(
      'the stored tree node at level 17, index 0 (entries 1 to 131072) differs from the tree recomputed from the entries (proofs from it would be wrong)',
    );
    const nodeFaultInRange = (start: number, end: number) => Promise.resolve(rangeOf(start, end, start === 0 ? { nodeFault: 'range node' } : {}));
    expect(reasonOf(await verifyInRanges(key, 'provider', head, SIZE, nodeFaultInRange, forged, none))).toBe('range node');
    const entryFaultLater = (start: number, end: number) =>
      Promise.resolve(start === 0 ? rangeOf(start, end, { nodeFault: 'range node' }) : { ...rangeOf(start, start + 9), fault: { seq: start + 10, reason: 'entry fault' } });
    expect(await verifyInRanges(key, 'provider', head, SIZE, entryFaultLater, forged, none)).toMatchObject({ ok: false, firstBadSeq: expect.any(Number) as number, reason: 'entry fault' });
  });

  it('rows that ran out before a range ends: the head names the entries removed', async () => {
    const short = (start: number, end: number) => Promise.resolve(start === 0 ? rangeOf(start, end - 1) : rangeOf(start, end));
    const verdict = await verifyInRanges(key, 'provider', head, SIZE, short, (nodes) => Promise.resolve(nodes.map(() => undefined)), none);
    expect(reasonOf(verdict)).toContain('entries removed');
  });

  it('fails at once when a thread fails, naming its entries, and stops the other threads', async () => {
    let siblings = 0;
    let stopped = 0;
    const run = (start: number, _end: number, signal: AbortSignal) => {
      if (start === 0) return Promise.reject(new Error('boom'));
      siblings++;
      // A thread that would answer only when stopped: the verify must not wait for it.
      return new Promise<VerifyRangeResult>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          stopped++;
          reject(new Error('stopped'));
        });
      });
    };
    await expect(verifyInRanges(key, 'provider', head, SIZE, run, () => Promise.resolve([]), none)).rejects.toThrow(/^the ledger verify thread for entries 1 to \d+ failed: boom$/);
    expect(stopped).toBe(siblings);
  });

  it('names a stored node beyond the signed size, once the rest passes', async () => {
    const sizes: number[] = [];
    const planted = (size: number) => {
      sizes.push(size);
      return Promise.resolve({ level: 4, index: size / 16 });
    };
    const found = (nodes: readonly StoredNode[]) => Promise.resolve(nodes.map((node) => stored.get(`${node.level}/${node.index}`)));
    expect(reasonOf(await verifyInRanges(key, 'provider', head, SIZE, (start, end) => Promise.resolve(rangeOf(start, end)), found, planted))).toBe(
      `the stored tree node at level 4, index ${SIZE / 16} (entries ${SIZE + 1} to ${SIZE + 16}) lies beyond the ledger's ${SIZE} entries (the append that completes it would fail)`,
    );
    expect(sizes).toEqual([SIZE]);
  });
});

describe('firstIndexBeyond', () => {
  it('is the first index whose node ends past the size, at every level', () => {
    // Brute force: node (level, idx) ends at entry (idx + 1)·2^level.
    for (const size of [0, 1, 15, 16, 17, 40, 48, 1_000_000]) {
      for (const level of [0, 4, 5, 10, 20, 40]) {
        let idx = 0;
        while ((idx + 1) * 2 ** level <= size) idx++;
        expect(firstIndexBeyond(size, level), `size ${size}, level ${level}`).toBe(idx);
      }
    }
  });
});
