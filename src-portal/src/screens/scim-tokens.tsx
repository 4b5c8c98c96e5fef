import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { z } from 'zod';
import { ScimTokenCreated, ScimTokenView } from '../../../contracts/tenant-directory';
import type { PortalApi } from '../api';
import { ErrorLine } from './shared';

const List = z.object({ items: z.array(ScimTokenView) });

/** SCIM tokens for the tenant's IdP: minted here (the token shown this once), revoked at once. */
export function ScimTokensScreen({ api }: { api: PortalApi }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const tokens = useQuery({ queryKey: ['scim-tokens'], queryFn: async () => List.parse(await api.get('/v1/directory/scim-tokens')).items });
  const mint = useMutation({
    mutationFn: async (tokenName: string) => ScimTokenCreated.parse(await api.send('POST', '/v1/directory/scim-tokens', { name: tokenName })),
    onSettled: () => client.invalidateQueries({ queryKey: ['scim-tokens'] }),
  });
  const revoke = useMutation({ mutationFn: (id: string) => api.send('DELETE', `/v1/directory/scim-tokens/${id}`), onSettled: () => client.invalidateQueries({ queryKey: ['scim-tokens'] }) });
  return (
    <section aria-labelledby="scim-title">
      <h2 id="scim-title">SCIM tokens</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim() !== '') mint.mutate(name.trim());
        }}
      >
        <input aria-label="Token name" value={name} maxLength={100} onChange={(event) => setName(event.target.value)} />
        <button type="submit">Mint</button>
      </form>
      {mint.data === undefined ? null : (
        <p className="once">
          Copy it now, it is not shown again: <code>{mint.data.token}</code>
        </p>
      )}
      <ErrorLine error={tokens.error ?? mint.error ?? revoke.error} />
      <table>
        <tbody>
          {(tokens.data ?? []).map((token) => (
            <tr key={token.id}>
              <td>{token.name}</td>
              <td>{token.revoked_at === null ? `expires ${token.expires_at}` : `revoked ${token.revoked_at}`}</td>
              <td>
                {token.revoked_at === null ? (
                  <button type="button" onClick={() => revoke.mutate(token.id)}>
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
