import { createHash } from 'node:crypto';
import { SeededRandom } from '../random';
import type { RouteSpec } from './route-catalog';
import { selectorSlot, slotsOf, type IdKind, type Slot } from './slots';

/** Who attacks: each tenant's credentials by kind, and operators (who hold no tenant credential). */
export type CredentialKind =
  | 'tenant-admin'
  | 'person:admin'
  | 'person:operator'
  | 'person:viewer'
  | 'scim'
  | 'agent'
  | 'grant'
  | 'operator:provider_admin'
  | 'operator:provider_operator';

export const tenantCredentialKinds: readonly CredentialKind[] = ['tenant-admin', 'person:admin', 'person:operator', 'person:viewer', 'scim', 'agent', 'grant'];

export interface Attacker {
  /** `acme-wwsq/person:viewer`, `operator:provider_admin`: never a token. */
  label: string;
  /** The attacker's own tenant (null for operators). */
  tenant: string | null;
  kind: CredentialKind;
}

/** A victim tenant and how many identifiers of each kind it has (from the fleet's plan). */
export interface VictimShape {
  slug: string;
  counts: Partial<Record<IdKind, number>>;
}

export interface PlannedAttempt {
  n: number;
  /** Tenant credentials against another tenant, or an operator without a grant on the tenant plane. */
  class: 'cross-tenant' | 'operator-without-grant';
  /** `GET /v1/tests/{id}`. */
  route: string;
  attacker: string;
  kind: CredentialKind;
  victim: string;
  slot: Slot;
  idKind: IdKind;
  /** Which of the victim's identifiers of that kind (an index: the plan holds no server-made id). */
  pick: number;
}

export interface AttackPlan {
  attempts: PlannedAttempt[];
  /** SHA-256 of the plan: one seed, one fleet and one route table give the same plan, attempt for attempt. */
  sha256: string;
}

export interface PlanOptions {
  /** Identifiers of each kind tried per victim, slot and attacker (chosen by the seed). */
  picksPerKind: number;
}

/**
 * The attempts of an isolation probe, in order: for every route of the served document, every
 * attacker, every victim (another tenant; for operators, every tenant), and every slot where the
 * victim's identifiers can go (the probe's `?tenant=` selector first, so every route gets one), the
 * victim's identifiers of each kind the slot takes, chosen by the seed. Operators attack the tenant
 * plane only: the provider plane is theirs. Pure: it names identifiers by kind and index, never by
 * value, so a seed gives the same plan on any control plane with the same routes.
 */
export function planAttacks(routes: readonly RouteSpec[], attackers: readonly Attacker[], victims: readonly VictimShape[], seed: number, options: PlanOptions): AttackPlan {
  const attempts: PlannedAttempt[] = [];
  const root = new SeededRandom(seed).stream('isolation-probe');
  for (const route of routes) {
    const slots = slotsOf(route);
    const selector = selectorSlot(slots);
    const routeSlots = selector === null ? slots : [selector, ...slots];
    for (const attacker of attackers) {
      const operator = attacker.tenant === null;
      if (operator && route.plane !== 'tenant') continue;
      for (const victim of victims) {
        if (victim.slug === attacker.tenant) continue;
        for (const slot of routeSlots) {
          for (const idKind of slot.kinds) {
            // A tenant is handed cursors by its own lists only (the tenant plane's): none fit a provider list.
            if (idKind === 'cursor' && route.plane !== 'tenant') continue;
            const count = victim.counts[idKind] ?? 0;
            if (count === 0) continue;
            const random = root.stream(`${route.key}|${attacker.label}|${victim.slug}|${slot.in}:${slot.name}|${idKind}`);
            const picks = random.shuffle(Array.from({ length: count }, (_, index) => index)).slice(0, options.picksPerKind);
            for (const pick of picks) {
              attempts.push({ n: attempts.length, class: operator ? 'operator-without-grant' : 'cross-tenant', route: route.key, attacker: attacker.label, kind: attacker.kind, victim: victim.slug, slot, idKind, pick });
            }
          }
        }
      }
    }
  }
  return { attempts, sha256: createHash('sha256').update(JSON.stringify(attempts)).digest('hex') };
}
