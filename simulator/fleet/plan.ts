import type { IsolationModel } from '../../contracts/tenants';
import { SeededRandom } from '../random';

/** Tenant roles a planned group maps to (the built-in ones). */
export type PlannedRole = 'admin' | 'operator' | 'viewer';

export interface PlannedPerson {
  subject: string;
  userName: string;
  displayName: string;
  groups: string[];
}

export interface PlannedTenant {
  slug: string;
  name: string;
  isolationModel: IsolationModel;
  people: PlannedPerson[];
  /** Group → role, as the tenant maps them. */
  groups: { name: string; role: PlannedRole }[];
  agents: string[];
  tests: { name: string; target: string; kind: 'http' | 'dns' | 'icmp'; interval_s: number }[];
}

export interface FleetPlan {
  seed: number;
  tenants: PlannedTenant[];
}

export interface FleetSize {
  tenants: number;
  agentsPerTenant: number;
  peoplePerTenant: number;
  testsPerTenant: number;
}

const COMPANIES = [
  'acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell', 'cyberdyne', 'wonka', 'soylent', 'massive',
  'aperture', 'vandelay', 'dunder', 'oscorp', 'gringotts', 'monarch', 'nakatomi', 'pied-piper', 'prestige', 'sterling', 'wernham', 'zorg',
];
const FIRST_NAMES = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'ken', 'margaret', 'dennis', 'frances', 'john', 'radia', 'leslie', 'donald', 'karen', 'tim', 'sophie'];
const LAST_NAMES = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'thompson', 'hamilton', 'ritchie', 'allen', 'backus', 'perlman', 'lamport', 'knuth', 'jones', 'berners', 'wilson'];
const SERVICES = ['portal', 'api', 'billing', 'vpn', 'mail', 'intranet', 'crm', 'erp', 'wiki', 'sso'];
const MODELS: IsolationModel[] = ['pooled', 'siloed', 'hybrid'];
const ROLES_IN_ORDER: PlannedRole[] = ['admin', 'operator', 'viewer'];

const title = (word: string) => word.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join(' ');

/**
 * The fleet a seed describes: tenant names and slugs, isolation models (mixed: every model appears
 * once there are three tenants), people and their groups, agents and tests. Everything a run
 * creates comes from here, so one seed gives the same fleet every time. Slugs end in a tag of the
 * seed, so runs with different seeds can share a control plane.
 */
export function planFleet(seed: number, size: FleetSize): FleetPlan {
  const random = new SeededRandom(seed).stream('fleet');
  const tag = new SeededRandom(seed).stream('tag').int(0, 36 ** 4 - 1).toString(36).padStart(4, '0');
  const companies = random.shuffle(COMPANIES);
  const models = random.shuffle(MODELS);
  const tenants = Array.from({ length: size.tenants }, (_, index): PlannedTenant => {
    const word = companies[index % companies.length] ?? 'tenant';
    const round = Math.floor(index / companies.length);
    const slug = `${word}${round === 0 ? '' : `-${round + 1}`}-${tag}`;
    const people = random.stream(slug);
    const groups = ROLES_IN_ORDER.map((role) => ({ name: `${word}-${role}s`, role }));
    return {
      slug,
      name: `${title(word)}${round === 0 ? '' : ` ${round + 1}`} (simulated)`,
      isolationModel: models[index % models.length] ?? 'pooled',
      groups,
      people: Array.from({ length: size.peoplePerTenant }, (_, i) => {
        const first = people.pick(FIRST_NAMES);
        const last = people.pick(LAST_NAMES);
        // The first person administers, the second operates, the rest view.
        const group = groups[Math.min(i, groups.length - 1)]?.name ?? `${word}-viewers`;
        return { subject: `${slug}-person-${i + 1}`, userName: `${first}.${last}.${i + 1}@${word}.example`, displayName: `${title(first)} ${title(last)}`, groups: [group] };
      }),
      agents: Array.from({ length: size.agentsPerTenant }, (_, i) => `${slug}-agent-${String(i + 1).padStart(3, '0')}`),
      tests: Array.from({ length: size.testsPerTenant }, (_, i) => {
        const service = people.pick(SERVICES);
        const kind = (['http', 'dns', 'icmp'] as const)[i % 3] ?? 'http';
        const host = `${service}.${word}.example`;
        return { name: `${service} ${kind} ${i + 1}`, target: kind === 'http' ? `https://${host}/health` : host, kind, interval_s: people.pick([30, 60, 300]) };
      }),
    };
  });
  return { seed, tenants };
}
