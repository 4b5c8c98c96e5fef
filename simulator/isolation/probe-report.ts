import { EVIDENCE_FORMAT } from '../evidence/evidence';
import type { Invariant } from '../scenarios/result';
import type { LedgerHeads } from './ledger-heads';
import type { ChainReport } from './provider-chains';
import type { RouteCatalog } from './route-catalog';
import type { AttemptOutcome, Disclosure } from './run-attempts';

/** Attempts on one route: how many, by attacker kind, how they ended. */
export interface RouteStats {
  route: string;
  /** The credential the route declares in the document. */
  credential: string;
  attempts: number;
  by_kind: Record<string, number>;
  refused: number;
  /** Answered 2xx within the attacker's own tenant, or (routes open without a credential) 2xx/3xx as to anyone. */
  answered: number;
  /** Refused at validation (400 invalid_request): never reached the route's tenant checks. */
  stopped_at_validation: number;
  inconclusive: number;
  skipped: number;
  leaks: number;
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

const invalidRequest = (outcome: AttemptOutcome) => outcome.status === 400 && /invalid_request/.test(outcome.reason);

/** Per route, in the document's order (chains' steps counted on their routes too). */
export function routeStats(catalog: RouteCatalog, outcomes: readonly AttemptOutcome[], chains: readonly ChainReport[]): RouteStats[] {
  const stats = new Map<string, RouteStats>(catalog.routes.map((route) => [route.key, { route: route.key, credential: route.credential, attempts: 0, by_kind: {}, refused: 0, answered: 0, stopped_at_validation: 0, inconclusive: 0, skipped: 0, leaks: 0 }]));
  for (const outcome of outcomes) {
    const entry = stats.get(outcome.route);
    if (entry === undefined) continue;
    if (outcome.verdict === 'skipped') {
      entry.skipped += 1;
      continue;
    }
    entry.attempts += 1;
    bump(entry.by_kind, outcome.kind);
    if (outcome.verdict === 'leak') entry.leaks += 1;
    else if (outcome.verdict === 'inconclusive') entry.inconclusive += 1;
    else if (outcome.verdict === 'own-scope' || (outcome.verdict === 'public' && outcome.status !== null && outcome.status < 400)) entry.answered += 1;
    else entry.refused += 1;
    if (invalidRequest(outcome)) entry.stopped_at_validation += 1;
  }
  for (const step of chains.flatMap((chain) => chain.steps)) {
    const entry = stats.get(step.route);
    if (entry === undefined) continue;
    entry.attempts += 1;
    bump(entry.by_kind, step.credential);
    if (step.leak) entry.leaks += 1;
    else if (step.status >= 200 && step.status < 300) entry.answered += 1;
    else entry.refused += 1;
  }
  return [...stats.values()];
}

/** Attempts and leaks by attacker kind (chains included, by the credential that acted). */
export function kindStats(outcomes: readonly AttemptOutcome[], chains: readonly ChainReport[]): Record<string, { attempts: number; leaks: number }> {
  const stats: Record<string, { attempts: number; leaks: number }> = {};
  const add = (kind: string, leak: boolean) => {
    const entry = (stats[kind] ??= { attempts: 0, leaks: 0 });
    entry.attempts += 1;
    if (leak) entry.leaks += 1;
  };
  for (const outcome of outcomes) if (outcome.verdict !== 'skipped') add(outcome.kind, outcome.verdict === 'leak');
  for (const step of chains.flatMap((chain) => chain.steps)) add(step.credential, step.leak);
  return stats;
}

export interface EvidenceInput {
  generatedAt: Date;
  seed: number;
  planSha256: string;
  durationMs: number;
  control: { url: string; kind: string };
  catalog: RouteCatalog;
  tenants: { slug: string; isolation_model: string; handed_over: boolean }[];
  heldTenant: string | null;
  routes: RouteStats[];
  kinds: Record<string, { attempts: number; leaks: number }>;
  leaks: AttemptOutcome[];
  chains: ChainReport[];
  disclosures: Disclosure[];
  before: LedgerHeads;
  after: LedgerHeads;
  invariants: Invariant[];
}

/**
 * The isolation evidence report an MSP hands to a customer (unsigned: the CLI signs it). It says
 * what was tried (attempts by route and by credential kind, and the provider-action chains), what
 * got through (leaks, with the request and why it counts), which control plane (URL, version, the
 * SHA-256 of the OpenAPI document it served), and the ledger heads before and after.
 */
export function evidenceDocument(input: EvidenceInput): Record<string, unknown> {
  const chainLeaks = input.chains.flatMap((chain) => chain.steps.filter((step) => step.leak).map((step) => ({ chain: chain.name, tenant: chain.tenant, ...step })));
  const total = input.routes.reduce((sum, route) => sum + route.attempts, 0);
  return {
    format: EVIDENCE_FORMAT,
    generated_at: input.generatedAt.toISOString(),
    statement:
      "Every tenant's credentials (admin token, people signed in through its IdP by role, SCIM token, agent token and an approved break-glass grant) tried every other tenant's identifiers on every route of the control plane's served OpenAPI document; operators tried every tenant-plane route without a grant; and operators ran chains of provider actions, each followed by reads of tenant data. A leak is any 2xx to a request naming another tenant's object, any answer that differs from the answer for a nonexistent identifier, any answer carrying another tenant's data, and any chain step that must be refused but was not.",
    control_plane: { url: input.control.url, kind: input.control.kind, version: input.catalog.version, openapi_sha256: input.catalog.documentSha256, routes: input.catalog.routes.length },
    run: { seed: input.seed, plan_sha256: input.planSha256, duration_ms: input.durationMs },
    tenants: input.tenants,
    held_tenant: input.heldTenant,
    attempts: { total, leaks: input.leaks.length + chainLeaks.length, by_credential_kind: input.kinds, by_route: input.routes },
    leaks: [...input.leaks, ...chainLeaks],
    chains: input.chains,
    public_disclosures: input.disclosures,
    ledgers: {
      signed_heads: false,
      note: 'This control plane does not sign its ledger heads yet: these are the current heads (size and Merkle root) its verify routes answered before the first attempt and after the last, each ledger verified at both times.',
      before: input.before,
      after: input.after,
    },
    invariants: input.invariants,
  };
}
