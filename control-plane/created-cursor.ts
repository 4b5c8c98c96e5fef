import { ApiError } from './errors';

/** A list position after a row ordered by (created_at, id): opaque to clients (base64url JSON). */
export function encodeCreatedCursor(record: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([record.createdAt, record.id])).toString('base64url');
}

/** Reads a cursor this list gave out; anything else is `400 invalid_request` naming `cursor`. */
export function decodeCreatedCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Not JSON: refused below like any other foreign cursor.
  }
  throw new ApiError(400, 'invalid_request', 'The cursor is not one this list gave out.', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
}
