// Vitest globalSetup: one PostgreSQL cluster for the whole test run, shared by all test files
// through `inject('postgresUrl')` (a superuser URL; create a database per test file with it).
// Vitest 4 calls the default export with the TestProject the setup file is configured on; values
// given to `project.provide` reach that project's tests (and, from the root project, all tests).
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgresCluster } from './postgres-cluster';
import { prepareTemplate } from './postgres-roles';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the shared test cluster: `postgresql://postgres@127.0.0.1:<port>/postgres`. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (findPostgresBin() === null) {
    throw new Error('PostgreSQL 15+ is required for the test run but is not installed: apt-get install postgresql (CI installs it).');
  }
  const cluster = await startPostgresCluster();
  try {
    await prepareTemplate(cluster.superuserUrl);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  project.provide('postgresUrl', cluster.superuserUrl);
  return async () => {
    await cluster.stop();
  };
}
