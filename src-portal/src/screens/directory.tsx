import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { RoleMappings, RolesView } from '../../../contracts/tenant-directory';
import type { PortalApi } from '../api';
import { ErrorLine } from './shared';

/** Groups of the tenant's IdP and the roles they map to (add, remove), with the roles there are. */
export function DirectoryScreen({ api }: { api: PortalApi }) {
  const client = useQueryClient();
  const [group, setGroup] = useState('');
  const [role, setRole] = useState('viewer');
  const mappings = useQuery({ queryKey: ['role-mappings'], queryFn: async () => RoleMappings.parse(await api.get('/v1/directory/role-mappings')).mappings });
  const roles = useQuery({ queryKey: ['roles'], queryFn: async () => RolesView.parse(await api.get('/v1/roles')) });
  const save = useMutation({
    mutationFn: (next: RoleMappings['mappings']) => api.send('PUT', '/v1/directory/role-mappings', { mappings: next }),
    onSettled: () => client.invalidateQueries({ queryKey: ['role-mappings'] }),
  });
  const roleNames = roles.data === undefined ? ['admin', 'operator', 'viewer'] : roles.data.roles.map((item) => item.name);
  const current = mappings.data ?? [];
  return (
    <section aria-labelledby="dir-title">
      <h2 id="dir-title">Groups and roles</h2>
      <ErrorLine error={mappings.error ?? roles.error ?? save.error} />
      <table>
        <thead>
          <tr>
            <th>IdP group</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {current.map((mapping) => (
            <tr key={`${mapping.group} ${mapping.role}`}>
              <td>{mapping.group}</td>
              <td>{mapping.role}</td>
              <td>
                <button type="button" onClick={() => save.mutate(current.filter((item) => item !== mapping))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (group.trim() !== '') save.mutate([...current, { group: group.trim(), role }]);
        }}
      >
        <input aria-label="Group" value={group} onChange={(event) => setGroup(event.target.value)} />
        <select aria-label="Role" value={role} onChange={(event) => setRole(event.target.value)}>
          {roleNames.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <button type="submit">Map</button>
      </form>
    </section>
  );
}
