import type { FastifyInstance } from 'fastify';
import type { LicenseSource } from '../licensing/license';
import type { Storage } from '../storage/types';
import { ApiError } from '../errors';
import { contract } from './route-contract';
import { HealthView, ReadyView } from '../../contracts/common';

/** Liveness and readiness: /healthz answers while the process runs, /readyz when storage and license are usable. */
export function healthRoutes(deps: { storage: Storage; license: LicenseSource }) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', contract({ summary: 'Liveness: the process answers', credential: 'none', responses: { 200: HealthView } }), () => ({ status: 'ok' }));
    app.get('/readyz', contract({ summary: 'Readiness: storage reachable and the license valid', credential: 'none', responses: { 200: ReadyView } }), async () => {
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
