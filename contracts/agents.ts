import { z } from 'zod';
import { Timestamp, Uuid } from './common';

export const CreateAgentPoolRequest = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /** How long each bootstrap token of the pool stays valid. */
  ttl_seconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600),
  default_group: z.string().trim().min(1).max(256).optional(),
});

export const AgentPool = z.strictObject({
  id: Uuid,
  name: z.string(),
  ttl_seconds: z.number().int(),
  default_group: z.string().nullable(),
  created_at: Timestamp,
});
export type AgentPool = z.infer<typeof AgentPool>;

/** An enrolled agent: who it is and where it came from (its token is never shown again). */
export const AgentView = z.strictObject({
  id: Uuid,
  name: z.string(),
  pool_id: Uuid.nullable(),
  group: z.string().nullable(),
  created_at: Timestamp,
});
export type AgentView = z.infer<typeof AgentView>;

export const BootstrapTokenCreated = z.strictObject({
  id: Uuid,
  token: z.string().startsWith('bhb_'),
  pool_id: Uuid,
  expires_at: Timestamp,
});

export const EnrollRequest = z.strictObject({
  bootstrap_token: z.string().min(10).max(300),
  name: z.string().trim().min(1).max(200),
});

export const EnrollResponse = z.strictObject({
  agent_id: Uuid,
  agent_token: z.string().startsWith('bha_'),
});
