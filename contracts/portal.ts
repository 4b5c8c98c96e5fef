import { z } from 'zod';

/** The tenant portal's session as its page reads it: who is signed in, and the CSRF value its state-changing calls send. */
export const PortalSession = z.strictObject({
  tenant: z.strictObject({ id: z.string(), slug: z.string(), name: z.string() }),
  user: z.strictObject({ id: z.string(), user_name: z.string(), roles: z.array(z.string()) }),
  /** What this session may do (the roles' permissions the tenant owns). */
  permissions: z.array(z.string()),
  /** Sent back as `X-Bulkhead-CSRF` on every state-changing call with the portal cookie. */
  csrf_token: z.string(),
  expires_at: z.string(),
});
export type PortalSession = z.infer<typeof PortalSession>;

