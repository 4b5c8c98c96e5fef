import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchUnitsHeader, IngestRequest, MAX_BATCH_UNITS } from '../../../contracts/telemetry';
import { ApiError } from '../../errors';
import { parseWith } from '../validation';
import { parseIngestBody, plainBatchUnits } from './ingest-body';

type Outcome = { data: IngestRequest } | { error: { status: number; code: string; message: string; details: unknown } };

function attempt(parse: () => IngestRequest): Outcome {
  try {
    return { data: parse() };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { error: { status: error.statusCode, code: error.code, message: error.message, details: error.details } };
  }
}

/** Values near every bound and type the contract draws, valid and not. */
const uuid = fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid', '', randomUUID().toUpperCase(), `${randomUUID()}\u0000`), fc.string());
const ts = fc.oneof(
  fc.date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom('2026-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2026-12-06T21:00:00.123456Z', '2026-12-06T21:00:00+00:00', '2026-12-06 21:00:00Z', '2026-12-06T21:00:00'),
  fc.string(),
);
const number = fc.oneof(fc.constantFrom(0, -0, -1, 3_600_000, 3_600_000.5, 999, 999.5, 1000, 2 ** 53, 12.25), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -5, max: 1200 }));
const text = (max: number) => fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('x'.repeat(max), 'x'.repeat(max + 1), 'a\u0000b', ''));
const anything = fc.oneof(fc.constant(null), fc.boolean(), number, fc.string({ maxLength: 4 }), fc.constant([]), fc.constant({}));

/** Mostly the valid value, now and then anything else: a body is only accepted when every field is. */
const mostly = <T,>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) => fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: other });
const someDate = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((date) => date.toISOString());

const result = fc
  .record({
    test_id: mostly(fc.oneof(fc.uuid(), fc.constant(randomUUID())), uuid),
    ts: mostly(someDate, ts),
    latency_ms: mostly(fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3_600_000 }), fc.double({ min: 0, max: 3_600_000, noNaN: true })), fc.oneof(number, anything)),
    ok: mostly(fc.boolean(), anything),
  })
  .chain((core) =>
    fc
      .record(
        {
          target: mostly(fc.string({ maxLength: 40 }), fc.oneof(text(2048), anything)),
          status_code: mostly(fc.integer({ min: 0, max: 999 }), fc.oneof(number, anything)),
          error: mostly(fc.string({ maxLength: 40 }), fc.oneof(text(1000), anything)),
        },
        { requiredKeys: [] },
      )
      .map((optional) => ({ ...core, ...optional })),
  )
  .chain((fields) =>
    // Now and then a required key missing, or a key the contract does not know, __proto__ among them (an own key after JSON.parse).
    fc.oneof({ weight: 20, arbitrary: fc.constant(null) }, fc.constantFrom('__proto__', 'constructor', 'extra', 'Ok', '-test_id', '-ts', '-latency_ms', '-ok')).map((change) => {
      if (change === null) return fields;
      if (change.startsWith('-')) return Object.fromEntries(Object.entries(fields).filter(([key]) => key !== change.slice(1)));
      return { ...fields, [change]: 1 };
    }),
  );

const flow = fc.record({ ts, src: fc.constant('10.0.0.1'), dst: fc.constant('10.0.0.2'), protocol: fc.constantFrom('tcp', 'udp', 'smtp'), bytes: number, packets: fc.constant(1) });

const body = fc.record(
  {
    batch_id: mostly(fc.oneof(fc.uuid(), fc.constantFrom('a'.repeat(128), 'b:1.2_3-4')), fc.oneof(fc.string({ maxLength: 130 }), fc.constantFrom('a'.repeat(129), 'white space', ''), anything)),
    results: mostly(fc.array(result, { maxLength: 6 }), anything),
    flow_events: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, fc.array(flow, { maxLength: 2 }), anything),
    stray: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, anything),
  },
  { requiredKeys: ['batch_id'] },
);

/** As the route sees a body: what JSON.parse made of the agent's bytes. */
const asReceived = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

/** Whether the fast path answered: it returns the received result objects themselves, the schema copies them. */
const tookFastPath = (value: unknown, outcome: Outcome): boolean => {
  if (!('data' in outcome) || outcome.data.results.length === 0) return false;
  return outcome.data.results[0] === (value as { results: unknown[] }).results[0];
};

describe('parseIngestBody', () => {
  it('accepts exactly what the contract accepts, returns what it returns, and refuses with its error', () => {
    let fast = 0;
    let refused = 0;
    fc.assert(
      fc.property(body, (generated) => {
        const value = asReceived(generated);
        const expected = attempt(() => parseWith(IngestRequest, value));
        const actual = attempt(() => parseIngestBody(value));
        expect(actual).toEqual(expected);
        if (tookFastPath(value, actual)) fast++;
        if ('error' in expected) refused++;
      }),
      { numRuns: 4000 },
    );
    // Both sides were exercised: plenty of bodies took the fast path, plenty were refused.
    expect(fast).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });

  it('takes the fast path for an agent batch, with the received results themselves', () => {
    const results = Array.from({ length: 500 }, (_, i) => ({ test_id: randomUUID(), ts: new Date(Date.UTC(2026, 11, 6, 0, 0, i)).toISOString(), latency_ms: i % 7 === 0 ? null : 5 + i, ok: i % 50 !== 0, ...(i % 50 === 0 ? { error: 'connect ETIMEDOUT', target: 'https://service.example/health', status_code: 0 } : {}) }));
    const value = asReceived({ batch_id: randomUUID(), results }) as { results: unknown[] };
    const parsed = parseIngestBody(value);
    expect(parsed.results[499]).toBe(value.results[499]);
    expect(parsed).toEqual(parseWith(IngestRequest, value));
  });

  it('refuses a batch over the unit limit with the contract error', () => {
    const one = { test_id: randomUUID(), ts: '2026-12-06T00:00:00Z', latency_ms: 1, ok: true };
    const value = asReceived({ batch_id: 'big', results: Array.from({ length: MAX_BATCH_UNITS + 1 }, () => one) });
    expect(attempt(() => parseIngestBody(value))).toEqual(attempt(() => parseWith(IngestRequest, value)));
    expect(() => parseIngestBody(value)).toThrow(/Invalid request body: results/);
  });

  it('refuses an own __proto__ key, as JSON.parse makes it', () => {
    const value = JSON.parse(`{"batch_id":"b","results":[{"test_id":"${randomUUID()}","ts":"2026-12-06T00:00:00Z","latency_ms":1,"ok":true,"__proto__":{"admin":true}}]}`) as unknown;
    expect(() => parseIngestBody(value)).toThrow(ApiError);
  });
});

describe('plainBatchUnits', () => {
  it('reads exactly the headers the contract accepts, as it reads them, and leaves the rest to it', () => {
    const header = fc.oneof(
      fc.integer({ min: 0, max: 6000 }).map(String),
      fc.constantFrom('5000', '5001', '00500', '000000', '99999', '0', '', ' 5', '5 ', '+5', '-0', '1e3', '0x10', '５'),
      fc.string({ maxLength: 7 }),
      fc.array(fc.constantFrom('5', '500'), { maxLength: 2 }),
    );
    let plain = 0;
    fc.assert(
      fc.property(header, (value) => {
        const schema = BatchUnitsHeader.safeParse(value);
        const units = plainBatchUnits(value);
        if (units !== null) {
          plain++;
          expect(schema).toMatchObject({ success: true, data: units });
        } else if (typeof value === 'string' && schema.success) {
          // Every header the schema accepts is a plain one: none takes the slow path.
          throw new Error(`"${value}" is accepted by the contract but not read plainly`);
        }
      }),
      { numRuns: 3000 },
    );
    expect(plain).toBeGreaterThan(300);
  });
});
