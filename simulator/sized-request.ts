// A scenario picked by name, size and seed (the console's simulator panel), made a full request
// with the CLI's defaults, so the console need not know each scenario's options.
import { breakGlassDrillDefaults } from './scenarios/break-glass-drill';
import { demoDefaults } from './scenarios/demo';
import { isolationProbeDefaults } from './scenarios/isolation-probe';
import { noisyNeighborDefaults } from './scenarios/noisy-neighbor';
import { scimSyncDefaults } from './scenarios/scim-sync';
import type { ScenarioRequest } from './index';

export interface SizedRequest {
  scenario: ScenarioRequest['scenario'];
  seed: number;
  tenants?: number;
  durationMs?: number;
  keepTenants?: boolean;
}

/** The noisy neighbour's rounds for a load time: a pair of windows per 8 s, 1 to 3 (as the demo picks them). */
const roundsFor = (durationMs: number) => Math.max(1, Math.min(3, Math.floor(durationMs / 8_000)));

export function scenarioRequest(sized: SizedRequest): ScenarioRequest {
  const common = { seed: sized.seed, ...(sized.keepTenants === undefined ? {} : { keepTenants: sized.keepTenants }) };
  switch (sized.scenario) {
    case 'noisy-neighbor': {
      const durationMs = sized.durationMs ?? noisyNeighborDefaults.durationMs;
      return { scenario: 'noisy-neighbor', options: { ...noisyNeighborDefaults, ...common, tenants: sized.tenants ?? noisyNeighborDefaults.tenants, durationMs, rounds: roundsFor(durationMs) } };
    }
    case 'scim-sync':
      return { scenario: 'scim-sync', options: { ...scimSyncDefaults, ...common, tenants: sized.tenants ?? scimSyncDefaults.tenants } };
    case 'break-glass-drill':
      return { scenario: 'break-glass-drill', options: { ...breakGlassDrillDefaults, ...common, tenants: sized.tenants ?? breakGlassDrillDefaults.tenants } };
    case 'isolation-probe':
      return { scenario: 'isolation-probe', options: { ...isolationProbeDefaults, ...common, tenants: sized.tenants ?? isolationProbeDefaults.tenants } };
    case 'demo':
      return { scenario: 'demo', options: { ...demoDefaults, ...common, durationMs: sized.durationMs ?? demoDefaults.durationMs, tenants: sized.tenants ?? demoDefaults.tenants } };
  }
}
