import { describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../directory';
import { GROUP_COLUMNS, USER_COLUMNS, USER_MUTABLE_COLUMNS, groupColumns, groupFromRow, membershipFromRow, userColumns, userFromRow } from './directory-rows';

describe('directory rows', () => {
  const tenantId = '44444444-4444-4444-8444-444444444444';
  const user: DirectoryUser = {
    id: '55555555-5555-4555-8555-555555555555',
    userName: 'ann',
    externalId: null,
    displayName: 'Ann',
    givenName: 'Ann',
    familyName: null,
    emails: [{ value: 'ann@example.test', type: 'work', primary: true }],
    active: true,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    version: 2,
  };

  it('reads a user alike from SQLite (active 0/1) and PostgreSQL (active boolean)', () => {
    const columns = userColumns(tenantId, user);
    expect(Object.keys(columns)).toEqual([...USER_COLUMNS]);
    expect(USER_MUTABLE_COLUMNS).not.toContain('id');
    expect(userFromRow(columns)).toEqual(user);
    expect(userFromRow({ ...columns, active: 1 })).toEqual(user);
    expect(userFromRow({ ...columns, version: '2' })).toEqual(user);
    expect(userFromRow({ ...columns, active: 0 })).toEqual({ ...user, active: false });
  });

  it('keeps e-mail entries as stored, even one a PATCH left without a value', () => {
    expect(userFromRow({ ...userColumns(tenantId, user), emails: '[{"type":"work"}]' }).emails).toEqual([{ type: 'work' }]);
  });

  it('round-trips a group, and reads a membership with its names', () => {
    const group = { id: '66666666-6666-4666-8666-666666666666', displayName: 'Ops', externalId: 'ext', createdAt: 'c', updatedAt: 'u', version: 1 };
    expect(Object.keys(groupColumns(tenantId, group))).toEqual([...GROUP_COLUMNS]);
    expect(groupFromRow(groupColumns(tenantId, group))).toEqual(group);
    expect(membershipFromRow({ group_id: group.id, group_display_name: 'Ops', user_id: user.id, user_name: 'ann', user_display_name: null })).toEqual({
      groupId: group.id,
      groupDisplayName: 'Ops',
      userId: user.id,
      userName: 'ann',
      userDisplayName: null,
    });
  });

  it('refuses a user row without a userName', () => {
    expect(() => userFromRow({ ...userColumns(tenantId, user), user_name: null })).toThrow();
  });
});
