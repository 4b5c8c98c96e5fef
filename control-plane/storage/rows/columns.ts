import { z } from 'zod';

/**
 * Column parsers every row mapping of rows/ is built from, so a row reads the same from either
 * engine: SQLite gives integers as numbers and booleans as 0/1; PostgreSQL gives bigints (and
 * COUNT) as strings, booleans as booleans, and uuid columns as text. Rows are parsed, not cast:
 * a bad row fails loudly.
 */
export const text = z.string();
export const optionalText = z.string().nullable();
/** integer or bigint. */
export const integer = z.coerce.number().int();
export const optionalInteger = integer.nullable();
/** A boolean column: SQLite's 0/1 or PostgreSQL's boolean. */
export const flag = z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((value) => value === true || value === 1);
/** BLOB or bytea. */
export const bytes = z.instanceof(Buffer);

/** A text column holding JSON of `schema`. */
export function json<T extends z.ZodType>(schema: T) {
  return z.string().transform((value): unknown => JSON.parse(value)).pipe(schema);
}

/** A COUNT(*) answer, as either engine gives it. */
export function count(value: unknown): number {
  return integer.parse(value);
}
