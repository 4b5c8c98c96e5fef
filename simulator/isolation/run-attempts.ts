import pLimit from 'p-limit';
import type { Dispatcher } from 'undici';
import type { ApiClient } from '../connection/api-client';
import { describeNetworkError } from '../connection/api-client';
import type { AttackPlan, CredentialKind, PlannedAttempt } from './attack-plan';
import { describe, judge, type Observed, type Verdict } from './classify';
import type { ProbeRequest } from './requests';
import { nonexistentValues, requestFor, shapeOf } from './requests';
import type { RouteSpec } from './route-catalog';
import { idFor, type TenantIds } from './tenant-ids';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const MAX_429_WAIT_MS = 60_000;

/** Sends one request and keeps what the classifier reads: status, body text, Location. 429s are waited out (Retry-After). */
export async function send(client: ApiClient, request: ProbeRequest, token: string | null): Promise<Observed> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
  const started = Date.now();
  for (;;) {
    let response: Dispatcher.ResponseData;
    try {
      response = await client.pool.request({ method: request.method, path: request.path, headers, body: request.body === undefined ? null : JSON.stringify(request.body) });
    } catch (error) {
      return { status: 0, body: describeNetworkError(error, client.target.url).message };
    }
    const body = await response.body.text();
    if (response.statusCode === 429 && Date.now() - started < MAX_429_WAIT_MS) {
      let waitMs = Number(response.headers['retry-after'] ?? 1) * 1000;
      try {
        const details = (JSON.parse(body) as { error?: { details?: { retry_after_ms?: unknown } } }).error?.details;
        if (typeof details?.retry_after_ms === 'number') waitMs = details.retry_after_ms;
      } catch {
        // Retry-After alone.
      }
      await sleep(Math.min(Math.max(waitMs, 50), 5_000));
      continue;
    }
    const location = response.headers.location;
    return { status: response.statusCode, body, ...(typeof location === 'string' ? { location } : {}) };
  }
}

/** One attempt as reported: never a token; the victim's value only by kind. */
export interface AttemptOutcome {
  n: number;
  class: PlannedAttempt['class'];
  route: string;
  attacker: string;
  kind: CredentialKind;
  victim: string;
  slot: string;
  id_kind: string;
  verdict: Verdict | 'skipped';
  reason: string;
  status: number | null;
  baseline_status: number | null;
  /** The first answer differed from its baseline, the second try did not (the second one counts). */
  flaky?: boolean;
  /** For a leak: the request (the victim's ids are test data, not secrets) and both answers, cut short, tokens blanked. */
  request?: string;
  answer?: string;
  baseline?: string;
}

/** What a route tells a caller without any credential about another tenant: public, so not a leak of a credential, but reported. */
export interface Disclosure {
  route: string;
  slot: string;
  id_kind: string;
  what: string;
}

export interface AttemptRun {
  outcomes: AttemptOutcome[];
  disclosures: Disclosure[];
}

export interface RunContext {
  client: ApiClient;
  routes: ReadonlyMap<string, RouteSpec>;
  /** Attacker label → its token. */
  tokens: ReadonlyMap<string, string>;
  /** Attacker label → its own tenant's ids (absent for operators). */
  own: ReadonlyMap<string, TenantIds>;
  victims: ReadonlyMap<string, TenantIds>;
  seed: number;
  concurrency: number;
  onProgress?: (done: number, total: number, leaks: number) => void;
}

const TOKEN = /\bbh[a-z]_[A-Za-z0-9_-]{8,}/g;

/** An answer for the report: status and the first 300 characters, any token blanked. */
export function excerpt(observed: Observed): string {
  const body = observed.body.length > 300 ? `${observed.body.slice(0, 300)}…` : observed.body;
  return `${observed.status}${observed.location === undefined ? '' : ` → ${observed.location.split('?')[0] ?? ''}`} ${body}`.replace(TOKEN, (token) => `${token.slice(0, 4)}[redacted]`).trim();
}

/**
 * Runs a plan's attempts, `concurrency` at a time. Each is judged beside its baseline: the same
 * request with a nonexistent value of the same shape, sent once per attacker, route, slot and shape.
 * On a route that answers without a credential, the same two requests are also sent without one:
 * what anyone is told is public. A difference from the baseline is tried again, attempt and
 * baseline back to back, and counts only if it holds.
 */
export async function runAttempts(plan: AttackPlan, context: RunContext): Promise<AttemptRun> {
  const { client } = context;
  const nonexistent = nonexistentValues(context.seed);
  const cache = new Map<string, Promise<Observed>>();
  const once = (key: string, request: () => Promise<Observed>): Promise<Observed> => {
    let cached = cache.get(key);
    if (cached === undefined) {
      cached = request();
      cache.set(key, cached);
    }
    return cached;
  };
  const disclosures = new Map<string, Disclosure>();
  const limit = pLimit(context.concurrency);
  const now = new Date();
  let done = 0;
  let leaks = 0;

  const one = async (attempt: PlannedAttempt): Promise<AttemptOutcome> => {
    const route = context.routes.get(attempt.route);
    const victim = context.victims.get(attempt.victim);
    const token = context.tokens.get(attempt.attacker);
    const slotName = `${attempt.slot.in}:${attempt.slot.name}`;
    const base = { n: attempt.n, class: attempt.class, route: attempt.route, attacker: attempt.attacker, kind: attempt.kind, victim: attempt.victim, slot: slotName, id_kind: attempt.idKind };
    const value = victim === undefined ? undefined : idFor(victim, attempt.idKind, attempt.pick, attempt.route);
    if (route === undefined || victim === undefined || token === undefined || value === undefined) {
      return { ...base, verdict: 'skipped', reason: value === undefined ? `the victim has no ${attempt.idKind} #${attempt.pick}` : 'no credential or route', status: null, baseline_status: null };
    }
    const ownIds = context.own.get(attempt.attacker) ?? null;
    const own = ownIds === null ? null : (kind: Parameters<typeof idFor>[1]) => idFor(ownIds, kind, 0, attempt.route);
    const shape = shapeOf(attempt.idKind, attempt.pick);
    const baselineValue = shape === 'opaque' ? null : nonexistent[shape];
    const build = (slotValue: string, tag: string) => requestFor({ route, slot: attempt.slot, value: slotValue, own, nonexistentId: nonexistent.fill, tag, now });
    const request = build(value, `${attempt.n}`);
    const requestText = `${request.path}\n${JSON.stringify(request.body ?? null)}`;
    const open = route.credential === 'none';

    const observe = async (fresh: boolean) => {
      const answer = await send(client, fresh ? build(value, `${attempt.n}r`) : request, token);
      const baselineKey = `${attempt.attacker}|${attempt.route}|${slotName}|${shape}`;
      const baselineOf = () => (baselineValue === null ? Promise.resolve(null) : send(client, build(baselineValue, `b${attempt.n}`), token));
      const baseline = fresh ? await baselineOf() : baselineValue === null ? null : await once(baselineKey, () => send(client, build(baselineValue, `b${attempt.n}`), token));
      // Without a credential: shared by every attacker (the same question, asked by nobody).
      const anonymous = open
        ? {
            victim: await once(`anonymous|${attempt.route}|${slotName}|${value}`, () => send(client, build(value, 'anonymous'), null)),
            nonexistent: baselineValue === null ? null : await once(`anonymous|${attempt.route}|${slotName}|${shape}`, () => send(client, build(baselineValue, 'anonymous'), null)),
          }
        : undefined;
      const judgement = judge({ slot: attempt.slot, value, baselineValue, requestText, answer, baseline, markers: victim.markers, ...(anonymous === undefined ? {} : { anonymous }) });
      return { judgement, answer, baseline, anonymous };
    };
    let observed = await observe(false);
    let flaky = false;
    if (observed.judgement.verdict === 'leak' && observed.baseline !== null) {
      // A difference from the baseline must hold when both are sent again, back to back.
      const again = await observe(true);
      if (again.judgement.verdict !== 'leak') {
        flaky = true;
        observed = again;
      }
    }
    const { judgement, answer, baseline, anonymous } = observed;
    if (anonymous !== undefined) noteDisclosure(attempt, slotName, anonymous, victim.markers, value);
    if (judgement.verdict === 'leak') leaks += 1;
    return {
      ...base,
      verdict: judgement.verdict,
      reason: judgement.reason,
      status: answer.status,
      baseline_status: baseline?.status ?? null,
      ...(flaky ? { flaky } : {}),
      ...(judgement.verdict === 'leak' ? { request: `${request.method} ${request.path}`, answer: excerpt(answer), ...(baseline === null ? {} : { baseline: excerpt(baseline) }) } : {}),
    };
  };

  /** What a caller without a credential learns of the victim here: whether its value exists, and its data. */
  const noteDisclosure = (attempt: PlannedAttempt, slot: string, anonymous: { victim: Observed; nonexistent: Observed | null }, markers: TenantIds['markers'], value: string): void => {
    const tells = attempt.slot.mode === 'reference' && anonymous.nonexistent !== null && describe(anonymous.victim) !== describe(anonymous.nonexistent);
    const key = `${attempt.route}|${slot}|${attempt.idKind}`;
    if (tells && anonymous.nonexistent !== null && !disclosures.has(`${key}|tells`)) {
      disclosures.set(`${key}|tells`, { route: attempt.route, slot, id_kind: attempt.idKind, what: `answers ${describe(anonymous.victim)} for a tenant's ${attempt.idKind} and ${describe(anonymous.nonexistent)} for a nonexistent one, to anyone` });
    }
    const text = `${anonymous.victim.body}\n${anonymous.victim.location ?? ''}`.toLowerCase();
    const carried = markers.filter((marker) => marker.value !== value && text.includes(marker.value.toLowerCase())).map((marker) => marker.what);
    if (carried.length > 0 && !disclosures.has(`${attempt.route}|carries`)) {
      disclosures.set(`${attempt.route}|carries`, { route: attempt.route, slot: '', id_kind: '', what: `answers callers without a credential with tenants' ${[...new Set(carried)].join(', ')}` });
    }
  };

  const outcomes = await Promise.all(
    plan.attempts.map((attempt) =>
      limit(async () => {
        const outcome = await one(attempt);
        done += 1;
        if (done % 100 === 0 || done === plan.attempts.length) context.onProgress?.(done, plan.attempts.length, leaks);
        return outcome;
      }),
    ),
  );
  return { outcomes, disclosures: [...disclosures.values()] };
}
