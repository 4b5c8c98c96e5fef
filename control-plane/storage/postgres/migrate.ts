import pg from 'pg';
import { StartupError } from '../../errors';
import { migratePostgres } from './schema';

/**
 * `control-plane migrate`: applies the schema as the connecting (owner) role, and refuses an app
 * role that could defeat row-level security (superuser, BYPASSRLS, or the owner itself).
 */
export async function runMigrations(ownerUrl: string, appRole: string): Promise<{ applied: number }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const role = (await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1', [appRole])).rows[0];
    if (role === undefined) {
      throw new StartupError('data_dir_invalid', `The app role ${appRole} does not exist: CREATE ROLE ${appRole} LOGIN PASSWORD '...' NOSUPERUSER NOBYPASSRLS;`);
    }
    if (role.rolsuper || role.rolbypassrls) {
      throw new StartupError('data_dir_invalid', `The app role ${appRole} is a superuser or has BYPASSRLS: row-level security would not bind it.`);
    }
    const current = (await client.query<{ current_user: string }>('SELECT current_user')).rows[0]?.current_user;
    if (current === appRole) {
      throw new StartupError('data_dir_invalid', 'Migrate as the owner role, not as the app role the server connects with.');
    }
    return { applied: await migratePostgres(client, appRole) };
  } finally {
    await client.end();
  }
}
