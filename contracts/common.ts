import { z } from 'zod';

export const Uuid = z.uuid();
export const Timestamp = z.iso.datetime({ offset: false });

/** A tenant slug: a lowercase DNS label of 3-63 characters. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;
export const Slug = z.string().regex(SLUG_PATTERN, 'a lowercase DNS label of 3-63 characters (a-z, 0-9, -)');

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** GET /healthz. */
export const HealthView = z.strictObject({ status: z.literal('ok') });
/** GET /readyz: storage reachable (which engine) and the license valid. */
export const ReadyView = z.strictObject({ status: z.literal('ready'), storage: z.enum(['sqlite', 'postgres']) });
