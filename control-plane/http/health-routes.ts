import type { FastifyInstance } from 'fastify';
import type { LicenseSource } from '../licensing/license';
import type { Storage } from '../storage/types';
import { ApiError } from '../errors';

/** Liveness and readiness: /healthz answers while the process runs, /readyz when storage and license are usable. */
export function healthRoutes(deps: { storage: Storage; license: LicenseSource }) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async () => {
      try {
        await deps.storage.ping();
      } catch {
        throw new ApiError(503, 'not_ready', 'Storage is not reachable.');
      }
      try {
        deps.license.get();
      } catch (error) {
        throw new ApiError(503, 'license_invalid', (error as Error).message);
      }
      return { status: 'ready', storage: deps.storage.engine };
    });
    return Promise.resolve();
  };
}
