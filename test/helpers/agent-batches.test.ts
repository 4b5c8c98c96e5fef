import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyOf, objectBodyOf } from '../bench/agent-batches';

describe("the bench agents' batch bodies", () => {
  it('are byte for byte what JSON.stringify makes of the same rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 0, max: 1200 }),
        fc.array(fc.uuid(), { minLength: 1, maxLength: 25 }),
        fc.string({ maxLength: 40 }),
        (firstMs, results, testIds, batchId) => {
          expect(bodyOf({ batchId, firstMs }, results, testIds)).toBe(objectBodyOf({ batchId, firstMs }, results, testIds));
        },
      ),
      { numRuns: 300 },
    );
  });
});
