import { describe, expect, it } from 'vitest';
import { defaultQuotas } from '../../contracts/tenants';
import { ApiError } from '../errors';
import { assertWithinQuota } from './quota-check';

describe('assertWithinQuota', () => {
  const quotas = { ...defaultQuotas, max_agents: 2 };

  it('allows creation up to the quota', () => {
    expect(() => assertWithinQuota(quotas, 'max_agents', 0)).not.toThrow();
    expect(() => assertWithinQuota(quotas, 'max_agents', 1)).not.toThrow();
  });

  it('refuses past it with 429 quota_exceeded and {quota, limit, used}', () => {
    let caught: unknown;
    try {
      assertWithinQuota(quotas, 'max_agents', 2);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect(caught).toMatchObject({ statusCode: 429, code: 'quota_exceeded', details: { quota: 'max_agents', limit: 2, used: 2 } });
  });

  it('counts a batch being added, and a lowered quota below usage refuses without touching what exists', () => {
    expect(() => assertWithinQuota(quotas, 'max_agents', 1, 2)).toThrow(ApiError);
    expect(() => assertWithinQuota({ ...quotas, max_tests: 0 }, 'max_tests', 5)).toThrow(ApiError);
  });
});
