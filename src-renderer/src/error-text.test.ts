import { describe, expect, it } from 'vitest';
import { ConsoleError } from './api';
import { describeError, formatWait } from './error-text';

describe('formatWait', () => {
  it.each([
    [1, '1 second'],
    [45, '45 seconds'],
    [60, '1 minute'],
    [61, '2 minutes'],
    [900, '15 minutes'],
  ])('%i seconds reads "%s"', (seconds, text) => {
    expect(formatWait(seconds)).toBe(text);
  });
});

describe('describeError', () => {
  it('names the fields of an invalid_request with their on-screen labels', () => {
    const error = new ConsoleError({
      code: 'invalid_request',
      message: 'totp: a 6-digit code',
      details: { issues: [{ path: 'totp', message: 'a 6-digit code' }, { path: 'username', message: 'too long' }] },
    });

    expect(describeError(error, { totp: 'Authenticator code', username: 'Username' })).toBe(
      'Check these fields: Authenticator code (a 6-digit code), Username (too long).',
    );
  });

  it('falls back to the message when invalid_request has no issues', () => {
    expect(describeError(new ConsoleError({ code: 'invalid_request', message: 'Bad body.', details: {} }))).toBe('Bad body.');
  });

  it('says "later" when locked_out has no usable retry_after_seconds', () => {
    const error = new ConsoleError({ code: 'locked_out', message: 'x', details: { retry_after_seconds: 'soon' } });
    expect(describeError(error)).toMatch(/try again later\.$/);
  });

  it('tells a replayed code (wait for the next one) from a wrong one', () => {
    expect(describeError(new ConsoleError({ code: 'totp_replayed', message: 'x', details: {} }))).toMatch(/just used\. Wait for the next code/);
    expect(describeError(new ConsoleError({ code: 'invalid_credentials', message: 'x', details: {} }))).toBe('The username, password or code is wrong.');
  });

  it('describes something that is not a ConsoleError', () => {
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('weird')).toBe('Something went wrong.');
  });
});
