import { describe, expect, it } from 'vitest';
import { planFleet } from './plan';

const size = { tenants: 5, agentsPerTenant: 3, peoplePerTenant: 4, testsPerTenant: 3 };

describe('planFleet', () => {
  it('gives the same fleet for the same seed, another for another seed', () => {
    expect(planFleet(11, size)).toEqual(planFleet(11, size));
    expect(planFleet(11, size).tenants.map((t) => t.slug)).not.toEqual(planFleet(12, size).tenants.map((t) => t.slug));
  });

  it('mixes isolation models and keeps slugs valid and distinct, even past the name list', () => {
    const plan = planFleet(3, { ...size, tenants: 30 });
    expect(new Set(plan.tenants.slice(0, 3).map((t) => t.isolationModel))).toEqual(new Set(['pooled', 'siloed', 'hybrid']));
    const slugs = plan.tenants.map((t) => t.slug);
    expect(new Set(slugs).size).toBe(30);
    for (const slug of slugs) expect(slug).toMatch(/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/);
  });

  it('gives each tenant an admin, an operator and viewers through groups mapped to roles, agents and tests', () => {
    const [tenant] = planFleet(5, size).tenants;
    expect(tenant?.groups.map((g) => g.role)).toEqual(['admin', 'operator', 'viewer']);
    expect(tenant?.people.map((p) => p.groups[0])).toEqual([tenant?.groups[0]?.name, tenant?.groups[1]?.name, tenant?.groups[2]?.name, tenant?.groups[2]?.name]);
    expect(new Set(tenant?.people.map((p) => p.userName)).size).toBe(4);
    expect(tenant?.agents).toHaveLength(3);
    expect(tenant?.tests.map((t) => t.kind)).toEqual(['http', 'dns', 'icmp']);
  });
});
