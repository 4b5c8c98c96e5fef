import type { z } from 'zod';
import { pageOf, ReadyView } from '../../contracts/common';
import { TenantFairness } from '../../contracts/fairness';
import { ReplicaList } from '../../contracts/tenants';
import type { IpcHandlers } from '../ipc/router';

/** What the provider-wide screens need of the console service. */
export interface FleetPort {
  asOperator<S extends z.ZodType>(method: 'GET', path: string, schema: S): Promise<z.output<S>>;
  /** An unauthenticated GET on the active connection (the control plane's /readyz). */
  anonymous<S extends z.ZodType>(method: 'GET', path: string, schema: S): Promise<z.output<S>>;
}

export type FleetChannel = 'fairness:overview' | 'replicas:list';

/**
 * The provider-wide screens (#21): every tenant's fairness counters and write lane, and the
 * replicas sharing the control plane (with its storage engine, so the screen can say why SQLite
 * has exactly one).
 */
export function fleetHandlers(port: FleetPort): Pick<IpcHandlers, FleetChannel> {
  return {
    'fairness:overview': ({ limit, cursor }) => {
      const query = new URLSearchParams({ limit: String(limit ?? 1000) });
      if (cursor !== undefined) query.set('cursor', cursor);
      return port.asOperator('GET', `/provider/v1/fairness?${query.toString()}`, pageOf(TenantFairness));
    },
    'replicas:list': async () => {
      const [replicas, ready] = await Promise.all([port.asOperator('GET', '/provider/v1/replicas', ReplicaList), port.anonymous('GET', '/readyz', ReadyView)]);
      return { ...replicas, storage: ready.storage };
    },
  };
}
