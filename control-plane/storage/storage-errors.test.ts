import { describe, expect, it } from 'vitest';
import { isStorageUnavailable } from './storage-errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStorageUnavailable', () => {
  it('knows a store out of reach or out of room', () => {
    for (const error of [
      withCode('ECONNREFUSED'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('08006'),
      withCode('57P03', 'the database system is starting up'),
      withCode('53100', 'could not extend file: No space left on device'),
      withCode('SQLITE_FULL', 'database or disk is full'),
      withCode('SQLITE_IOERR_WRITE'),
      withCode('ENOSPC'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      // SQLite's words once the telemetry writer thread's reply crossed over without a code.
      new Error('database or disk is full'),
      new AggregateError([withCode('ECONNREFUSED')]),
      new Error('wrapped', { cause: withCode('SQLITE_FULL') }),
    ]) {
      expect(isStorageUnavailable(error), String(error)).toBe(true);
    }
  });

  it('leaves faults of the request or of the code alone', () => {
    for (const error of [new Error('boom'), withCode('23505', 'duplicate key'), withCode('SQLITE_CONSTRAINT_UNIQUE'), withCode('42P01', 'relation does not exist'), new TypeError('x is undefined'), null, 'text']) {
      expect(isStorageUnavailable(error), String(error)).toBe(false);
    }
  });
});
