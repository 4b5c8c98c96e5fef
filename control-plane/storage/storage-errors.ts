/**
 * Whether an error means the store cannot be reached or written right now (PostgreSQL down or
 * restarting, a connection cut, the disk full or failing) rather than a fault of the request or
 * of the code. Those answer `503 storage_unavailable` and clear by themselves once the store is back.
 */

/** Node and libc error codes of a store out of reach or out of room. */
const SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG']);

/** PostgreSQL SQLSTATEs: connection exceptions (class 08), operator intervention (57P01-57P05), out of disk or memory (53100, 53200), I/O (58030). */
function isPostgresUnavailable(code: string): boolean {
  return code.startsWith('08') || /^57P0[1-5]$/.test(code) || code === '53100' || code === '53200' || code === '58030';
}

/** SQLite result codes of a store that cannot be written or read: full, I/O errors, cannot open, read-only file system. */
function isSqliteUnavailable(code: string): boolean {
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY_DBMOVED' || code === 'SQLITE_READONLY_DIRECTORY';
}

/** What node-postgres says, without a code, (and SQLite's own words, where a thread boundary lost the code) when a pooled connection dies or cannot be had in time. */
const POSTGRES_MESSAGES = [/database or disk is full/i, /disk I\/O error/i, /Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /Client was closed and is not queryable/i, /terminating connection due to administrator command/i];

export function isStorageUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (SYSTEM_CODES.has(code) || isPostgresUnavailable(code) || isSqliteUnavailable(code))) return true;
  if (typeof message === 'string' && POSTGRES_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // AggregateError (a failed connect over IPv4 and IPv6) and wrapped causes.
  if (Array.isArray((error as { errors?: unknown }).errors) && ((error as { errors: unknown[] }).errors).some((inner) => isStorageUnavailable(inner, depth + 1))) return true;
  return cause !== undefined && isStorageUnavailable(cause, depth + 1);
}

/** A unique constraint refused the write (PostgreSQL 23505, SQLite's UNIQUE or PRIMARY KEY): someone else made it first. */
export function isUniqueViolation(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
