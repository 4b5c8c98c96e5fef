import type { FastifyInstance } from 'fastify';
import { operatorWith, type RouteContext } from '../context';
import { contract } from '../route-contract';
import { ReplicaList } from '../../../contracts/tenants';

/** GET /provider/v1/replicas: the live replicas sharing this control plane's data (one on SQLite). */
export function replicaRoutes(ctx: RouteContext) {
  return (app: FastifyInstance): Promise<void> => {
    app.get('/provider/v1/replicas', contract({ summary: 'The live replicas sharing this control plane', credential: 'operator', responses: { 200: ReplicaList } }), async (request) => {
      await operatorWith(ctx, request, 'replicas:read');
      const live = await ctx.replicas.live();
      return {
        items: live.map((replica) => ({ id: replica.id, address: replica.address, started_at: replica.startedAt, heartbeat_at: replica.heartbeatAt, self: replica.id === ctx.replicas.id })),
        live_count: live.length,
      };
    });
    return Promise.resolve();
  };
}
