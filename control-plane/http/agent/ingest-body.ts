import { Timestamp, Uuid } from '../../../contracts/common';
import { BATCH_ID_PATTERN, IngestRequest, MAX_BATCH_UNITS, RESULT_BOUNDS } from '../../../contracts/telemetry';
import { parseWith } from '../validation';

/** The contract's own pattern for a string format, so the fast path cannot drift from the schema it stands in for. */
function formatPattern(schema: { def: { pattern?: RegExp | undefined } }): RegExp {
  const { pattern } = schema.def;
  if (pattern === undefined) throw new Error('a string format without a pattern: the ingest fast path cannot stand in for it');
  return pattern;
}

const UUID_PATTERN = formatPattern(Uuid);
const TIMESTAMP_PATTERN = formatPattern(Timestamp);

const BODY_KEYS: ReadonlySet<string> = new Set(['batch_id', 'results', 'flow_events']);
const RESULT_KEYS: ReadonlySet<string> = new Set(['test_id', 'ts', 'latency_ms', 'ok', 'target', 'status_code', 'error']);

/** Only its own keys, all of them known (JSON.parse makes a `__proto__` key an own key, so it is caught here). */
function onlyKeys(value: object, known: ReadonlySet<string>): boolean {
  for (const key in value) if (!known.has(key)) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalText(value: unknown, max: number): boolean {
  return value === undefined || (typeof value === 'string' && value.length <= max && !value.includes('\u0000'));
}

/** A batch names a few tests many times: each id is matched against the pattern once. */
function validTestId(id: string, validIds: Set<string>): boolean {
  if (validIds.has(id)) return true;
  if (!UUID_PATTERN.test(id)) return false;
  validIds.add(id);
  return true;
}

/** A result that is plainly valid: every field of the expected type and within bounds, nothing else. */
function plainResult(value: unknown, validIds: Set<string>): boolean {
  if (!isRecord(value) || !onlyKeys(value, RESULT_KEYS)) return false;
  const { test_id, ts, latency_ms, ok, status_code } = value;
  return (
    typeof test_id === 'string' &&
    validTestId(test_id, validIds) &&
    typeof ts === 'string' &&
    TIMESTAMP_PATTERN.test(ts) &&
    (latency_ms === null || (typeof latency_ms === 'number' && latency_ms >= 0 && latency_ms <= RESULT_BOUNDS.maxLatencyMs)) &&
    typeof ok === 'boolean' &&
    optionalText(value.target, RESULT_BOUNDS.maxTarget) &&
    (status_code === undefined || (Number.isInteger(status_code) && (status_code as number) >= 0 && (status_code as number) <= RESULT_BOUNDS.maxStatusCode)) &&
    optionalText(value.error, RESULT_BOUNDS.maxError)
  );
}

/** An index loop, not every(): a hole (never made by JSON.parse) must fail, not be skipped. */
function allPlain(list: readonly unknown[]): boolean {
  const validIds = new Set<string>();
  for (let i = 0; i < list.length; i++) if (!plainResult(list[i], validIds)) return false;
  return true;
}

/**
 * The ingest body, validated. Agents send thousands of batches a second and nearly all are plainly
 * valid results, so those are checked field by field in place: no copy of 500 objects, none of the
 * schema walk's allocations (zod and the garbage it left were a sixth of the server's main thread in
 * P1). Anything else (flow events, an unknown key, a value out of bounds) goes through the contract
 * schema, which gives the same 400 as every other route. The fast path only ever accepts what the
 * schema accepts, and returns what it would return (ingest-body.test.ts checks both over random bodies).
 */
export function parseIngestBody(value: unknown): IngestRequest {
  if (isRecord(value) && onlyKeys(value, BODY_KEYS)) {
    const { batch_id, results, flow_events } = value;
    const noFlows = flow_events === undefined || (Array.isArray(flow_events) && flow_events.length === 0);
    if (typeof batch_id === 'string' && BATCH_ID_PATTERN.test(batch_id) && noFlows && (results === undefined || Array.isArray(results))) {
      const list: unknown[] = results ?? [];
      if (list.length <= MAX_BATCH_UNITS && allPlain(list)) {
        return { batch_id, results: list as IngestRequest['results'], flow_events: [] };
      }
    }
  }
  return parseWith(IngestRequest, value);
}

const PLAIN_UNITS = /^[0-9]{1,5}$/;

/**
 * The batch-units header as agents send it, read by the contract's rule (BatchUnitsHeader) without
 * its schema walk, which cost 65 µs a batch; null for anything else, which the schema then reads
 * (and refuses with its error).
 */
export function plainBatchUnits(header: string | string[]): number | null {
  if (typeof header !== 'string' || !PLAIN_UNITS.test(header)) return null;
  const units = Number(header);
  return units <= MAX_BATCH_UNITS ? units : null;
}
