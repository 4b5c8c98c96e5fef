import { describe, expect, it } from 'vitest';
import { planAttacks, tenantCredentialKinds, type Attacker, type VictimShape } from './attack-plan';
import { fixtureRoutes } from './fixture-routes';

const slugs = ['acme-wwsq', 'globex-wwsq', 'initech-wwsq'];
const attackers: Attacker[] = [
  ...slugs.flatMap((tenant) => tenantCredentialKinds.map((kind) => ({ label: `${tenant}/${kind}`, tenant, kind }))),
  { label: 'operator:provider_admin', tenant: null, kind: 'operator:provider_admin' },
];
const counts = { tenant: 2, test: 3, agent: 2, pool: 1, 'scim-token': 1, recovery: 1, 'break-glass': 2, 'scim-user': 3, 'scim-group': 3, 'user-filter': 3, 'group-filter': 3, cursor: 1 };
const victims: VictimShape[] = slugs.map((slug) => ({ slug, counts }));

describe('the attack plan', () => {
  it('is the same for the same seed, attempt for attempt, and another for another seed', () => {
    const a = planAttacks(fixtureRoutes(), attackers, victims, 7, { picksPerKind: 1 });
    const b = planAttacks(fixtureRoutes(), attackers, victims, 7, { picksPerKind: 1 });
    expect(b.attempts).toEqual(a.attempts);
    expect(b.sha256).toBe(a.sha256);
    const other = planAttacks(fixtureRoutes(), attackers, victims, 8, { picksPerKind: 1 });
    expect(other.attempts.length).toBe(a.attempts.length);
    expect(other.sha256).not.toBe(a.sha256);
    // Server-made ids are never in it: picks are indexes.
    expect(JSON.stringify(a.attempts)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('attacks every route with every tenant credential against every other tenant, and operators on the tenant plane only', () => {
    const plan = planAttacks(fixtureRoutes(), attackers, victims, 7, { picksPerKind: 1 });
    for (const route of fixtureRoutes()) {
      for (const attacker of attackers.filter((entry) => entry.tenant !== null)) {
        const mine = plan.attempts.filter((attempt) => attempt.route === route.key && attempt.attacker === attacker.label);
        expect(new Set(mine.map((attempt) => attempt.victim)), `${route.key} ${attacker.label}`).toEqual(new Set(slugs.filter((slug) => slug !== attacker.tenant)));
      }
    }
    expect(plan.attempts.some((attempt) => attempt.victim === attempt.attacker.split('/')[0])).toBe(false);
    const operator = plan.attempts.filter((attempt) => attempt.kind === 'operator:provider_admin');
    expect(new Set(operator.map((attempt) => attempt.route.split(' ')[1]?.split('/')[1]))).toEqual(new Set(['v1', 'scim', 'agent']));
    expect(operator.every((attempt) => attempt.class === 'operator-without-grant')).toBe(true);
    // A path id the probe has no word for gets every kind of id.
    expect(new Set(plan.attempts.filter((attempt) => attempt.route === 'GET /v1/widgets/{widget}' && attempt.slot.in === 'path').map((attempt) => attempt.idKind)).size).toBe(9);
  });

  it('tries more of each kind when asked, never more than the victim has, and no cursor on a provider route', () => {
    const one = planAttacks(fixtureRoutes(), attackers, victims, 7, { picksPerKind: 1 });
    const three = planAttacks(fixtureRoutes(), attackers, victims, 7, { picksPerKind: 3 });
    expect(three.attempts.length).toBeGreaterThan(one.attempts.length);
    const tests = three.attempts.filter((attempt) => attempt.route === 'DELETE /v1/tests/{id}' && attempt.attacker === 'acme-wwsq/scim' && attempt.victim === 'globex-wwsq' && attempt.idKind === 'test');
    expect(tests.map((attempt) => attempt.pick).sort()).toEqual([0, 1, 2]);
  });
});
