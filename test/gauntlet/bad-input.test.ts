import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/control-plane-harness';
import { scimTenant } from '../helpers/scim-fixtures';
import { badInputPerRoute, engineName, gauntletSeed, recordFigures, seededRandom } from './gauntlet-size';

/** The documented 5xx a route may answer for a reason outside the request: the tenant's IdP unreachable (api.md: 502 not_ready). */
const DEPENDENCY_ERRORS: Record<string, string> = { '502': 'not_ready' };

const deepArray = '['.repeat(20_000) + ']'.repeat(20_000);
const deepObject = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);

/** Hostile bodies: [what, content type, bytes]. */
function hostileBodies(): [string, string | undefined, string | Buffer][] {
  return [
    ['deep array', 'application/json', deepArray],
    ['deep object', 'application/json', deepObject],
    ['oversize', 'application/json', `{"a":"${'x'.repeat(5 * 1024 * 1024)}"}`],
    ['text/plain', 'text/plain', '{"a":1}'],
    ['xml', 'application/xml', '<a>1</a>'],
    ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'],
    ['form', 'application/x-www-form-urlencoded', 'a=1&__proto__[admin]=1'],
    ['no content type', undefined, '{"a":1}'],
    ['invalid utf-8', 'application/json', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ['huge numbers', 'application/json', '{"expires_in_seconds":1e999,"limit":-1e308,"interval_s":18446744073709551617,"duration_minutes":1e-400,"latency_ms":123456789012345678901234567890}'],
    ['prototype keys', 'application/json', '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"name":"x"}'],
    ['nul bytes', 'application/json', '{"name":"a\\u0000b","slug":"\\u0000"}'],
    ['wrong types', 'application/json', '{"name":[],"slug":{},"isolation_model":1,"roles":"x","results":"x","Operations":{}}'],
    ['truncated', 'application/json', '{"name":'],
    ['empty', 'application/json', ''],
    ['scim json array', 'application/scim+json', '[1,2,3]'],
    ['charset latin1', 'application/json; charset=latin1', '{"name":"\u00e9"}'],
  ];
}

/**
 * Bad input over every route of the route table: deep nesting, oversize bodies, wrong content types,
 * invalid UTF-8, huge numbers, prototype keys, with credentials of each plane and none. Nothing answers
 * 5xx, every 4xx carries a code (the envelope, or SCIM's error schema under /scim/v2), the server stays
 * up and its memory bounded. Headers too large (real HTTPS: Node refuses them before fastify) answer
 * 431 with a code too.
 */
describe(`gauntlet: bad input over every route (${engineName})`, () => {
  let t: TestApp;
  let credentials: Record<string, string>[];

  beforeAll(async () => {
    t = await buildTestApp();
    const tenant = await scimTenant(t, 'bad-input', 'siloed');
    credentials = [await t.adminHeaders(), tenant.admin, tenant.scim, {}];
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  it('answers every hostile body on every route below 500, with a code, within bounded memory', { timeout: 600_000 }, async () => {
    const random = seededRandom(gauntletSeed + 1);
    const bodies = hostileBodies();
    const failures: string[] = [];
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;
    let requests = 0;
    let dependencyErrors = 0;
    for (const route of t.app.routeTable) {
      for (let i = 0; i < badInputPerRoute; i++) {
        const [what, type, payload] = i < bodies.length ? (bodies[i] as [string, string | undefined, string | Buffer]) : random.pick(bodies);
        const withBody = route.method !== 'GET' && route.method !== 'DELETE';
        const path = route.url.replace(/:[a-z_]+/g, () => encodeURIComponent(random.pick(['x', '%00', '\u00ff', '9'.repeat(40), '__proto__', 'constructor', 'a'.repeat(300)])));
        const url = `${path}${random.pick(['', '?limit=1e999', '?__proto__[x]=1', '?limit=18446744073709551617', '?filter=%ff%fe', `?cursor=${'A'.repeat(5000)}`])}`;
        const response = await t.app.inject({
          method: route.method as 'GET',
          url,
          headers: { ...random.pick(credentials), ...(withBody && type !== undefined ? { 'content-type': type } : {}) },
          ...(withBody ? { payload } : {}),
        });
        requests++;
        const label = `${route.method} ${route.url} [${what}] ${url.slice(0, 80)} → ${response.statusCode} ${response.body.slice(0, 160)}`;
        const code = errorCode(response.body, route.url);
        if (response.statusCode >= 500) {
          if (DEPENDENCY_ERRORS[String(response.statusCode)] === code) dependencyErrors++;
          else failures.push(label);
        } else if (response.statusCode >= 400 && code === null) {
          failures.push(`no code: ${label}`);
        }
      }
    }
    const rssGrowthMb = Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024);
    recordFigures({ part: 'bad-input', engine: engineName, requests, leaks: 0, serverErrors: failures.filter((failure) => !failure.startsWith('no code')).length, faultsSurvived: 0, durationMs: Date.now() - started });
    console.log(`gauntlet bad input (${engineName}): ${requests} requests, ${dependencyErrors} answered 502 not_ready (IdP unreachable), rss grew ${rssGrowthMb} MB`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // Bounded: a few hostile 5 MiB bodies are in flight at a time, never kept.
    expect(rssGrowthMb).toBeLessThan(600);
  });

  it('answers headers too large with 431 and a code over real HTTPS, and stays up', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const dispatcher = new Agent({ connect: { ca: readFileSync(join(t.dataDir, 'tls', 'ca.crt'), 'utf8'), servername: 'localhost' } });
    try {
      const response = await request(`https://localhost:${port}/v1/tenant`, { dispatcher, headers: { 'x-filler': 'a'.repeat(64 * 1024) } });
      const text = await response.body.text();
      expect(response.statusCode).toBe(431);
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'headers_too_large' } });
      const health = await request(`https://localhost:${port}/healthz`, { dispatcher });
      await health.body.text();
      expect(health.statusCode).toBe(200);
    } finally {
      await dispatcher.close();
    }
  });
});

/** The error's code: the envelope's, or the SCIM error schema's status under /scim/v2; null when neither is there. */
function errorCode(body: string, url: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown }; schemas?: unknown; status?: unknown };
    if (typeof parsed.error?.code === 'string' && /^[a-z_]+$/.test(parsed.error.code)) return parsed.error.code;
    if (url.startsWith('/scim/v2') && Array.isArray(parsed.schemas) && typeof parsed.status === 'string') return `scim_${parsed.status}`;
    return null;
  } catch {
    return null;
  }
}
