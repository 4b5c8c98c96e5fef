/** A person in a simulated IdP: who signs in there and what SCIM pushes to the control plane. */
export interface IdpPerson {
  /** The IdP's stable id: the OIDC subject and the SCIM externalId. */
  subject: string;
  /** The sign-in name, an email address. */
  userName: string;
  displayName: string;
  /** What the simulated person types at the IdP's login form. */
  password: string;
  groups: string[];
  active: boolean;
}

/**
 * An IdP's directory of people and groups. The IdP's login form and ID tokens read it live, so a
 * change here (a new group, a deactivation) shows at the next sign-in, as in a real IdP; SCIM
 * carries the same change to the control plane.
 */
export class IdpDirectory {
  private readonly people = new Map<string, IdpPerson>();

  add(person: IdpPerson): void {
    if (this.people.has(person.subject)) throw new Error(`${person.subject} is already in the directory`);
    this.people.set(person.subject, { ...person, groups: [...person.groups] });
  }

  get(subject: string): IdpPerson | undefined {
    const person = this.people.get(subject);
    return person === undefined ? undefined : { ...person, groups: [...person.groups] };
  }

  update(subject: string, change: Partial<Omit<IdpPerson, 'subject'>>): IdpPerson {
    const person = this.people.get(subject);
    if (person === undefined) throw new Error(`${subject} is not in the directory`);
    const updated = { ...person, ...change, groups: [...(change.groups ?? person.groups)] };
    this.people.set(subject, updated);
    return { ...updated, groups: [...updated.groups] };
  }

  list(): IdpPerson[] {
    return [...this.people.values()].map((person) => ({ ...person, groups: [...person.groups] }));
  }

  /** Every group with its members' subjects, groups in first-seen order. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const person of this.people.values()) {
      for (const group of person.groups) {
        groups.set(group, [...(groups.get(group) ?? []), person.subject]);
      }
    }
    return groups;
  }

  /** The active person with this user name and password, as the login form checks it. */
  authenticate(userName: string, password: string): IdpPerson | undefined {
    const person = [...this.people.values()].find((candidate) => candidate.userName === userName);
    return person !== undefined && person.active && person.password === password ? { ...person } : undefined;
  }
}
