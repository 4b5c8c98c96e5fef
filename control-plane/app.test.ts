import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorEnvelope } from '../contracts/errors';
import { evaluationLicensePath, licenseText, mintLicense, TempDirs, testSigner } from '../test/helpers/startup-fixtures';
import { buildApp } from './app';
import { builtInLicenseTrust, LicenseSource } from './licensing/license';
import { deriveLedgerKey } from './audit/ledger-codec';
import { SqliteStorage, sqliteLayout } from './storage/sqlite/sqlite-storage';

const temp = new TempDirs();
const apps: FastifyInstance[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.close();
  }
  temp.cleanup();
});

async function app(license = new LicenseSource(evaluationLicensePath, builtInLicenseTrust)): Promise<{ app: FastifyInstance; storage: SqliteStorage }> {
  const deploymentKey = randomBytes(32);
  const storage = SqliteStorage.open(sqliteLayout(temp.make('bulkhead-app-')), deriveLedgerKey(deploymentKey));
  const built = await buildApp({ storage, license, deploymentKey });
  apps.push(built);
  return { app: built, storage };
}

describe('buildApp health and errors (inject)', () => {
  it('answers /healthz 200 {"status":"ok"}', async () => {
    const { app: server } = await app();
    const response = await server.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 with a real SQLite storage and a valid license', async () => {
    const { app: server } = await app();
    const response = await server.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', storage: 'sqlite' });
  });

  it('answers an unknown route 404 with the error envelope', async () => {
    const { app: server } = await app();
    const response = await server.inject({ method: 'GET', url: '/no/such/route?secret=1' });
    expect(response.statusCode).toBe(404);
    const body = ErrorEnvelope.parse(response.json());
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toBe('No route GET /no/such/route.');
    expect(body.error.details).toEqual({});
  });

  it('answers /readyz 503 not_ready once storage is closed, while /healthz still answers', async () => {
    const { app: server, storage } = await app();
    await storage.close();
    const response = await server.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(ErrorEnvelope.parse(response.json()).error).toEqual({ code: 'not_ready', message: 'Storage is not reachable.', details: {} });
    expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers /readyz 503 license_invalid once the license has expired', async () => {
    const signer = testSigner();
    const file = join(temp.make(), 'license.json');
    writeFileSync(file, licenseText(mintLicense(signer, { issued_at: '2030-01-01T00:00:00.000Z', expires_at: '2030-02-01T00:00:00.000Z' })));
    let now = new Date('2030-01-15T00:00:00.000Z');
    const { app: server } = await app(new LicenseSource(file, signer.trust, () => now));
    expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    now = new Date('2030-02-02T00:00:00.000Z');
    const response = await server.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(ErrorEnvelope.parse(response.json()).error.code).toBe('license_invalid');
  });

  it('closes its storage when the app closes', async () => {
    const { app: server, storage } = await app();
    await server.close();
    // Awaited inside an async function: whether ping throws or rejects, the caller sees a rejection.
    await expect((async () => {
      await storage.ping();
    })()).rejects.toThrow(/not open/);
  });
});
