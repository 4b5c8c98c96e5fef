import type { ApiClient } from '../connection/api-client';
import { SimulatorError } from '../errors';
import type { IdpDirectory, IdpPerson } from './directory';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_JSON = 'application/scim+json';

/** One SCIM request the connector made, for the run's event log. */
export interface ScimEvent {
  op: 'create-user' | 'update-user' | 'deactivate-user' | 'create-group' | 'update-members';
  /** The IdP subject or group name it was about. */
  about: string;
  status: number;
}

/**
 * The IdP's SCIM provisioning connector (as Entra ID or Okta run one): it pushes its directory's
 * people and groups to the tenant's SCIM API with the tenant's SCIM token, and each later change
 * as the smallest request that carries it (PATCH for attributes, activation and memberships).
 */
export class ScimConnector {
  private readonly userIds = new Map<string, string>();
  private readonly groupIds = new Map<string, string>();
  /** Members (subjects) of each group as last pushed. */
  private readonly pushedMembers = new Map<string, Set<string>>();
  readonly events: ScimEvent[] = [];

  constructor(
    private readonly client: ApiClient,
    private readonly scimToken: string,
    readonly directory: IdpDirectory,
  ) {}

  /** The control plane's id of a person, once pushed. */
  userId(subject: string): string | undefined {
    return this.userIds.get(subject);
  }

  /** First push: every person, then every group with its members. */
  async pushAll(): Promise<void> {
    for (const person of this.directory.list()) await this.createUser(person);
    await this.syncGroups();
  }

  async addPerson(person: IdpPerson): Promise<void> {
    this.directory.add(person);
    await this.createUser(person);
    await this.syncGroups();
  }

  /** A changed name, email or groups: PATCH the user, then the groups whose members changed. */
  async changePerson(subject: string, change: Partial<Pick<IdpPerson, 'displayName' | 'userName' | 'groups'>>): Promise<void> {
    const person = this.directory.update(subject, change);
    if (change.displayName !== undefined || change.userName !== undefined) {
      const operations = [{ op: 'replace', value: { displayName: person.displayName, userName: person.userName, emails: [{ value: person.userName, type: 'work', primary: true }] } }];
      await this.send('update-user', subject, 'PATCH', `/scim/v2/Users/${this.requireId(subject)}`, { schemas: [PATCH], Operations: operations }, 200);
    }
    if (change.groups !== undefined) await this.syncGroups();
  }

  /** The IdP disables the person: SCIM `active: false` (the control plane ends their sessions). */
  async deactivate(subject: string): Promise<void> {
    this.directory.update(subject, { active: false });
    await this.send('deactivate-user', subject, 'PATCH', `/scim/v2/Users/${this.requireId(subject)}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }, 200);
  }

  private requireId(subject: string): string {
    const id = this.userIds.get(subject);
    if (id === undefined) throw new Error(`${subject} was never pushed`);
    return id;
  }

  private async createUser(person: IdpPerson): Promise<void> {
    const created = await this.send('create-user', person.subject, 'POST', '/scim/v2/Users', {
      schemas: [USER],
      userName: person.userName,
      externalId: person.subject,
      displayName: person.displayName,
      active: person.active,
      emails: [{ value: person.userName, type: 'work', primary: true }],
    }, 201);
    this.userIds.set(person.subject, String(created.id));
  }

  /** Creates new groups and PATCHes the members of changed ones, in the directory's group order. */
  private async syncGroups(): Promise<void> {
    for (const [group, subjects] of this.directory.groups()) {
      const wanted = new Set(subjects);
      const members = (set: Iterable<string>) => [...set].map((subject) => ({ value: this.requireId(subject) }));
      const groupId = this.groupIds.get(group);
      if (groupId === undefined) {
        const created = await this.send('create-group', group, 'POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: group, members: members(wanted) }, 201);
        this.groupIds.set(group, String(created.id));
      } else {
        const pushed = this.pushedMembers.get(group) ?? new Set();
        const added = [...wanted].filter((subject) => !pushed.has(subject));
        const removed = [...pushed].filter((subject) => !wanted.has(subject));
        if (added.length === 0 && removed.length === 0) continue;
        const operations = [
          ...(added.length > 0 ? [{ op: 'add', path: 'members', value: members(added) }] : []),
          ...removed.map((subject) => ({ op: 'remove', path: `members[value eq "${this.requireId(subject)}"]` })),
        ];
        await this.send('update-members', group, 'PATCH', `/scim/v2/Groups/${groupId}`, { schemas: [PATCH], Operations: operations }, [200, 204]);
      }
      this.pushedMembers.set(group, wanted);
    }
    // Groups nobody is in any more keep their (now empty) membership.
    for (const [group, pushed] of this.pushedMembers) {
      if (this.directory.groups().has(group) || pushed.size === 0) continue;
      const groupId = this.groupIds.get(group);
      if (groupId === undefined) continue;
      const operations = [...pushed].map((subject) => ({ op: 'remove', path: `members[value eq "${this.requireId(subject)}"]` }));
      await this.send('update-members', group, 'PATCH', `/scim/v2/Groups/${groupId}`, { schemas: [PATCH], Operations: operations }, [200, 204]);
      this.pushedMembers.set(group, new Set());
    }
  }

  private async send(op: ScimEvent['op'], about: string, method: 'POST' | 'PATCH', path: string, body: unknown, expected: number | number[]): Promise<Record<string, unknown>> {
    const answer = await this.client.call(method, path, { token: this.scimToken, body, contentType: SCIM_JSON });
    this.events.push({ op, about, status: answer.status });
    if (![expected].flat().includes(answer.status)) {
      const detail = typeof answer.json.detail === 'string' ? `: ${answer.json.detail}` : '';
      throw new SimulatorError(`SCIM ${op} ${about}: ${method} ${path.replace(/\/[0-9a-f-]{36}$/, '/{id}')} answered ${answer.status}${detail}`);
    }
    return answer.json;
  }
}
