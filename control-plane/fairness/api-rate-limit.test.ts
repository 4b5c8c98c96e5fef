import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors';
import { ApiRateLimit } from './api-rate-limit';

const tenant = (id: string, rpm: number) => ({ id, quotas: { api_rate_limit_rpm: rpm } });

function refusal(spend: () => void): ApiError {
  try {
    spend();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('ApiRateLimit', () => {
  it("admits a minute's worth at once, then one per rpm/60 seconds, per tenant", () => {
    let now = 0;
    const limit = new ApiRateLimit(() => now);
    const a = tenant('a', 60);
    for (let i = 0; i < 60; i++) limit.spend(a);
    const refused = refusal(() => limit.spend(a));
    expect(refused.statusCode).toBe(429);
    expect(refused.code).toBe('rate_limited');
    expect(refused.headers).toEqual({ 'retry-after': '1' });
    // Another tenant has its own budget.
    limit.spend(tenant('b', 60));
    now += 1000;
    limit.spend(a);
    expect(() => limit.spend(a)).toThrow(ApiError);
  });

  it('applies a raised quota at once', () => {
    const now = 0;
    const limit = new ApiRateLimit(() => now);
    for (let i = 0; i < 2; i++) limit.spend(tenant('a', 2));
    expect(() => limit.spend(tenant('a', 2))).toThrow(ApiError);
    // Same fill ratio (empty) at the new size: still refused this instant, but told to come back sooner.
    const sooner = refusal(() => limit.spend(tenant('a', 6000)));
    expect(sooner.details).toMatchObject({ api_rate_limit_rpm: 6000, retry_after_ms: 10 });
  });

  it('refuses every call at 0, saying the provider has to raise it', () => {
    const limit = new ApiRateLimit(() => 0);
    const refused = refusal(() => limit.spend(tenant('a', 0)));
    expect(refused.statusCode).toBe(429);
    expect(refused.message).toMatch(/provider has to raise it/);
  });
});
