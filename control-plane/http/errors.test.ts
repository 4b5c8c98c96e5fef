import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerErrorHandling } from './errors';

describe('error handling', () => {
  it('answers a store out of reach or full with 503 storage_unavailable and Retry-After, anything else unexpected with 500', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    app.get('/down', () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    app.get('/full', () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    app.get('/bug', () => {
      throw new TypeError('x is undefined');
    });
    for (const url of ['/down', '/full']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['retry-after'], url).toBe('5');
      expect(response.json(), url).toMatchObject({ error: { code: 'storage_unavailable' } });
      expect(response.body, url).not.toMatch(/ECONNREFUSED|5432|disk is full/);
    }
    const bug = await app.inject({ method: 'GET', url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.json()).toMatchObject({ error: { code: 'internal_error' } });
    await app.close();
  });
});
