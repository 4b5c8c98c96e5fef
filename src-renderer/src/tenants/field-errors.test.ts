import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../api';
import { fieldErrors } from './field-errors';

describe('fieldErrors', () => {
  it('puts each issue at its field and the rest in general', () => {
    const error = new ConsoleError({
      code: 'invalid_request',
      message: 'bad',
      details: { issues: [{ path: 'max_agents', message: 'Too small' }, { path: 'max_agents', message: 'Not an integer' }, { path: 'other', message: 'Unknown' }] },
    });
    expect(fieldErrors(error, ['max_agents', 'max_users'])).toEqual({ byField: { max_agents: 'Too small; Not an integer' }, general: ['other: Unknown'] });
  });

  it("puts the control plane's invalid_branding issue at its field the same way", () => {
    const error = new ConsoleError({ code: 'invalid_branding', message: 'Invalid branding: logo_svg.', details: { field: 'logo_svg', issues: [{ path: 'logo_svg', message: 'script is not allowed' }] } });
    expect(fieldErrors(error, ['logo_svg'])).toEqual({ byField: { logo_svg: 'script is not allowed' }, general: [] });
  });

  it('answers a non-field error as one general message, and nothing for no error', () => {
    expect(fieldErrors(new ConsoleError({ code: 'conflict', message: 'The tenant is deleted.', details: {} }), ['x'])).toEqual({ byField: {}, general: ['The tenant is deleted.'] });
    expect(fieldErrors(null, ['x'])).toEqual({ byField: {}, general: [] });
  });
});
