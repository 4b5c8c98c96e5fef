import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorEnvelope } from '../contracts/errors';
import { evaluationLicensePath, licenseText, mintLicense, snapshotTree, TempDirs, testSigner } from '../test/helpers/startup-fixtures';
import { DEPLOYMENT_KEY_ENV, generateDeploymentKey } from './crypto/deployment-key';
import { dataDirPaths, initDataDir } from './data-dir';
import { open, seal } from './crypto/seal';
import { sealPurpose } from './crypto/seal-purposes';
import { builtInLicenseTrust } from './licensing/license';
import { parseListen, prepareServer, serve, type ServeOptions } from './server';
import { StartupError } from './errors';
import { createCertificateAuthority, createServerCertificate } from './tls/certificates';
import { renewServerCertificate } from './tls/server-certificate-renewal';

const temp = new TempDirs();
const keyA = generateDeploymentKey();
const keyB = generateDeploymentKey();
let templateA: string;
let templateB: string;

beforeAll(async () => {
  // Two initialized data dirs, made once and copied per test (init costs a scrypt hash).
  const parent = temp.make('bulkhead-server-templates-');
  templateA = join(parent, 'a');
  templateB = join(parent, 'b');
  const common = {
    admin: { username: 'admin', password: 'a long enough password' },
    subjectAltNames: [],
    licenseText: readFileSync(evaluationLicensePath, 'utf8'),
    licenseTrust: builtInLicenseTrust,
    now: new Date(),
  };
  await initDataDir({ ...common, dataDir: templateA, deploymentKey: Buffer.from(keyA, 'base64') });
  await initDataDir({ ...common, dataDir: templateB, deploymentKey: Buffer.from(keyB, 'base64') });
});
afterAll(() => temp.cleanup());

/** A fresh copy of an initialized data dir. */
function dataDirFrom(template: string): string {
  const dir = join(temp.make('bulkhead-server-'), 'data');
  cpSync(template, dir, { recursive: true });
  return dir;
}

function serveOptions(dataDir: string, overrides: Partial<ServeOptions> = {}): ServeOptions {
  return {
    dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    env: { [DEPLOYMENT_KEY_ENV]: keyA },
    logLevel: 'silent',
    ...overrides,
  };
}

async function refusal(options: ServeOptions): Promise<StartupError> {
  try {
    const app = await prepareServer(options);
    await app.close();
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError);
    return error as StartupError;
  }
  throw new Error('expected prepareServer to refuse, it succeeded');
}

describe('prepareServer refuses to start, and writes nothing to the data dir', () => {
  const cases: {
    name: string;
    setup: (dataDir: string) => Partial<ServeOptions>;
    code: StartupError['code'];
    message: RegExp;
  }[] = [
    {
      name: 'without a deployment key',
      setup: () => ({ env: {} }),
      code: 'deployment_key_missing',
      message: /No deployment encryption key: set BULKHEAD_DEPLOYMENT_KEY .* or pass --key-file/,
    },
    {
      name: 'with a malformed deployment key',
      setup: () => ({ env: { [DEPLOYMENT_KEY_ENV]: 'not-a-key' } }),
      code: 'deployment_key_malformed',
      message: /deployment key from BULKHEAD_DEPLOYMENT_KEY is not valid base64/,
    },
    {
      name: 'with a 16-byte deployment key',
      setup: () => ({ env: { [DEPLOYMENT_KEY_ENV]: randomBytes(16).toString('base64') } }),
      code: 'deployment_key_malformed',
      message: /decodes to 16 bytes/,
    },
    {
      name: 'with a missing key file',
      setup: (dataDir) => ({ keyFile: join(dataDir, '..', 'absent.key') }),
      code: 'deployment_key_missing',
      message: /absent\.key cannot be read \(ENOENT\)/,
    },
    {
      name: 'when the license file is deleted',
      setup: (dataDir) => {
        rmSync(join(dataDir, 'license.json'));
        return {};
      },
      code: 'license_missing',
      message: /No license at .*license\.json \(ENOENT\)/,
    },
    {
      name: 'when the license is tampered (tenant_band edited)',
      setup: (dataDir) => {
        const file = join(dataDir, 'license.json');
        const text = readFileSync(file, 'utf8');
        expect(text).toContain('"tenant_band": 25,');
        writeFileSync(file, text.replace('"tenant_band": 25,', '"tenant_band": 2500,'));
        return {};
      },
      code: 'license_invalid',
      message: /signature does not verify: the license file was altered or is not genuine/,
    },
    {
      name: 'when the license is not JSON',
      setup: (dataDir) => {
        writeFileSync(join(dataDir, 'license.json'), '{"payload":');
        return {};
      },
      code: 'license_invalid',
      message: /is not valid JSON/,
    },
    {
      name: 'when the license has expired (test-signed, test trust)',
      setup: (dataDir) => {
        const signer = testSigner();
        const expired = mintLicense(signer, { issued_at: '2024-01-01T00:00:00.000Z', expires_at: '2025-01-01T00:00:00.000Z' });
        writeFileSync(join(dataDir, 'license.json'), licenseText(expired));
        return { licenseTrust: signer.trust };
      },
      code: 'license_expired',
      message: /The license for Test MSP expired at 2025-01-01T00:00:00.000Z/,
    },
    {
      name: 'when the clock is past the evaluation license expiry',
      setup: () => ({ clock: () => new Date('2032-01-01T00:00:00.000Z') }),
      code: 'license_expired',
      message: /expired at 2031-12-31T23:59:59.000Z/,
    },
    {
      name: 'when the license is valid but signed by a key it does not trust',
      setup: (dataDir) => {
        writeFileSync(join(dataDir, 'license.json'), licenseText(mintLicense(testSigner())));
        return {};
      },
      code: 'license_invalid',
      message: /signed by an unknown key \(test-key\)/,
    },
    {
      name: 'on a data dir created with another deployment key',
      setup: () => ({ env: { [DEPLOYMENT_KEY_ENV]: keyB } }),
      code: 'deployment_key_mismatch',
      message: /belongs to another deployment key/,
    },
    {
      name: 'when the sealed server key is corrupted',
      setup: (dataDir) => {
        const file = join(dataDir, 'tls', 'server.key.sealed');
        const sealed = readFileSync(file);
        sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
        writeFileSync(file, sealed);
        return {};
      },
      code: 'tls_invalid',
      message: /TLS material in .*tls cannot be loaded/,
    },
    {
      name: 'with only one of --tls-cert and --tls-key',
      setup: (dataDir) => ({ tlsCertFile: join(dataDir, 'tls', 'server.crt') }),
      code: 'tls_invalid',
      message: /Give both --tls-cert and --tls-key, or neither/,
    },
  ];

  it.each(cases)('$name → $code', async ({ setup, code, message }) => {
    const dataDir = dataDirFrom(templateA);
    const overrides = setup(dataDir);
    const before = snapshotTree(dataDir);
    const error = await refusal(serveOptions(dataDir, overrides));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(keyA);
    expect(error.message.includes('\n')).toBe(false);
    const after = snapshotTree(dataDir);
    expect(Object.keys(after).filter((path) => /-wal$|-shm$|-journal$/.test(path))).toEqual([]);
    expect(after).toEqual(before);
  });

  it('refuses a missing data dir and does not create it', async () => {
    const dataDir = join(temp.make(), 'never-made');
    const error = await refusal(serveOptions(dataDir));
    expect(error.code).toBe('data_dir_missing');
    expect(snapshotTree(join(dataDir, '..'))).toEqual({});
  });

  it('refuses an uninitialized dir (data_dir_invalid) and leaves it empty', async () => {
    const dataDir = temp.make();
    const error = await refusal(serveOptions(dataDir));
    expect(error.code).toBe('data_dir_invalid');
    expect(snapshotTree(dataDir)).toEqual({});
  });

  it('checks the key before anything else: no key on a missing dir is still deployment_key_missing', async () => {
    const error = await refusal(serveOptions(join(temp.make(), 'never-made'), { env: {} }));
    expect(error.code).toBe('deployment_key_missing');
  });
});

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:8443', '127.0.0.1', 8443],
    ['0.0.0.0:0', '0.0.0.0', 0],
    ['localhost:65535', 'localhost', 65535],
    ['[::1]:8443', '::1', 8443],
    ['[::]:443', '::', 443],
    [' 10.0.0.5:80 ', '10.0.0.5', 80],
  ])('parses %j as %s port %i', (value, host, port) => {
    expect(parseListen(value)).toEqual({ host, port });
  });

  it.each(['', '8443', '127.0.0.1', '127.0.0.1:', ':8443', '127.0.0.1:65536', '127.0.0.1:99999', '127.0.0.1:123456', '127.0.0.1:-1', '127.0.0.1:80a', '::1:8443', '[::1]8443', 'https://127.0.0.1:8443'])(
    'refuses %j with listen_invalid',
    (value) => {
      let error: unknown;
      try {
        parseListen(value);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StartupError);
      expect((error as StartupError).code).toBe('listen_invalid');
      expect((error as StartupError).message).toBe(`--listen ${JSON.stringify(value)} is not host:port (for example 127.0.0.1:8443).`);
    },
  );
});

/** The TLS error code of a failed request (undici may wrap it in `cause`). */
function tlsErrorCode(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR')) {
      return code;
    }
    current = current.cause;
  }
  return String(error);
}

describe('a real HTTPS control plane (prepareServer + listen)', () => {
  let dataDir: string;
  let app: FastifyInstance;
  let url: string;
  let trusting: Agent;

  beforeAll(async () => {
    dataDir = dataDirFrom(templateA);
    app = await prepareServer(serveOptions(dataDir));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('not listening on a TCP port');
    }
    url = `https://127.0.0.1:${address.port}`;
    trusting = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
  });

  afterAll(async () => {
    await trusting.close();
    await app.close();
  });

  it('answers /healthz over HTTPS to a client trusting the data dir CA', async () => {
    const response = await request(`${url}/healthz`, { dispatcher: trusting });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz ready on SQLite', async () => {
    const response = await request(`${url}/readyz`, { dispatcher: trusting });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ status: 'ready', storage: 'sqlite' });
  });

  it('answers an unknown route 404 with the error envelope', async () => {
    const response = await request(`${url}/provider/v1/nothing-here`, { dispatcher: trusting });
    expect(response.statusCode).toBe(404);
    const body = ErrorEnvelope.parse(await response.body.json());
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('/provider/v1/nothing-here');
  });

  it('fails with a certificate error for a client that does not trust the data dir CA', async () => {
    const untrusting = new Agent();
    try {
      const error: unknown = await request(`${url}/healthz`, { dispatcher: untrusting }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).not.toBeNull();
      expect(tlsErrorCode(error)).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    } finally {
      await untrusting.close();
    }
  });

  it('fails for a client that trusts only another deployment CA', async () => {
    const other = await createCertificateAuthority('Another deployment');
    const wrongCa = new Agent({ connect: { ca: other.certPem } });
    try {
      const error: unknown = await request(`${url}/healthz`, { dispatcher: wrongCa }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(tlsErrorCode(error)).toMatch(/CERT|SIGNATURE/);
    } finally {
      await wrongCa.close();
    }
  });

  it('answers with nosniff and no-store, HSTS only off loopback, and refuses TLS suites without forward-secret AEAD', async () => {
    const response = await request(`${url}/healthz`, { dispatcher: trusting });
    await response.body.text();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['strict-transport-security']).toBeUndefined();
    const proxied = await app.inject({ method: 'GET', url: '/healthz', headers: { host: 'cp.msp.example' } });
    expect(proxied.headers['strict-transport-security']).toBe('max-age=31536000');
    const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const port = Number(new URL(url).port);
    const handshake = (options: { ciphers?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.1'; minVersion?: 'TLSv1.1' }) =>
      new Promise<string>((done) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options }, () => {
          done(`ok ${socket.getCipher().name}`);
          socket.end();
        });
        socket.on('error', (error: NodeJS.ErrnoException) => done(`refused ${error.code ?? error.message}`));
      });
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-CCM', 'ECDHE-ECDSA-ARIA128-GCM-SHA256']) {
      expect(await handshake({ ciphers: cipher, maxVersion: 'TLSv1.2' }), cipher).toMatch(/^refused/);
    }
    expect(await handshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).toMatch(/^refused/);
    expect(await handshake({ ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' })).toBe('ok ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(await handshake({})).toMatch(/^ok TLS_/);
  });

  it('keeps its SQLite files to its owner (0600)', () => {
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && /\.db(-wal|-shm)?$/.test(entry.name));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect((statSync(join(file.parentPath, file.name)).mode & 0o777).toString(8), file.name).toBe('600');
  });

  it('sets the server timeouts', () => {
    expect(app.server.requestTimeout).toBe(30_000);
    expect(app.server.headersTimeout).toBe(15_000);
    // Far past the agents' few seconds between batches (#23: 5 s closed connections under a request).
    expect(app.server.keepAliveTimeout).toBe(65_000);
  });
});

describe('logging', () => {
  it('logs a request by its path: never its query (OIDC codes and states travel there) nor its credentials', async () => {
    const lines: string[] = [];
    const app = await prepareServer(serveOptions(dataDirFrom(templateA), { logLevel: 'info', logStream: { write: (line) => lines.push(line) } }));
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const agent = new Agent({ connect: { rejectUnauthorized: false } });
      try {
        const response = await request(`https://127.0.0.1:${port}/v1/auth/oidc/callback?code=SECRET-CODE-123&state=SECRET-STATE-456`, { dispatcher: agent, headers: { authorization: 'Bearer bht_SECRETTOKENVALUE123456', cookie: 'bh_oidc=SECRETCOOKIE' } });
        await response.body.text();
      } finally {
        await agent.close();
      }
    } finally {
      await app.close();
    }
    const log = lines.join('');
    expect(log).toContain('/v1/auth/oidc/callback');
    for (const secret of ['SECRET-CODE-123', 'SECRET-STATE-456', 'SECRETTOKENVALUE', 'SECRETCOOKIE']) expect(log).not.toContain(secret);
  });
});

describe('serve()', () => {
  it('listens, reports its https URL, installs signal handlers, and closes cleanly', async () => {
    const dataDir = dataDirFrom(templateA);
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    const { app, url } = await serve(serveOptions(dataDir));
    const added = (['SIGINT', 'SIGTERM'] as const).flatMap((signal) =>
      process.listeners(signal).filter((listener) => !before[signal].includes(listener)).map((listener) => ({ signal, listener })),
    );
    try {
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:0$/);
      expect(added.map(({ signal }) => signal).sort()).toEqual(['SIGINT', 'SIGTERM']);
      const agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') } });
      try {
        const response = await request(`${url}/healthz`, { dispatcher: agent });
        expect(await response.body.json()).toEqual({ status: 'ok' });
      } finally {
        await agent.close();
      }
    } finally {
      // Do not leave serve()'s handlers (which exit the process) on the test runner.
      for (const { signal, listener } of added) {
        process.removeListener(signal, listener);
      }
      await app.close();
    }
    expect(Object.keys(snapshotTree(dataDir)).filter((path) => /-wal$|-shm$/.test(path))).toEqual([]);
  });
});

describe("the data dir's server certificate renews itself", () => {
  /** The certificate the server presents to a new TLS connection (trusting the data dir CA). */
  const presented = (port: number, ca: string) =>
    new Promise<{ validTo: Date; names: string }>((done, fail) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
        const peer = socket.getPeerCertificate();
        done({ validTo: new Date(peer.valid_to), names: peer.subjectaltname ?? '' });
        socket.end();
      });
      socket.on('error', fail);
    });

  /** Replaces the copy's certificate with one from its own CA that expires in `daysLeft` days. */
  async function expiringIn(dataDir: string, daysLeft: number): Promise<void> {
    const key = Buffer.from(keyA, 'base64');
    const ca = { certPem: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8'), keyPem: open(key, readFileSync(join(dataDir, 'tls', 'ca.key.sealed')), sealPurpose.caKey).toString('utf8') };
    const server = await createServerCertificate(ca, ['localhost', '127.0.0.1', '::1'], new Date(Date.now() - (397 - daysLeft) * 24 * 3600 * 1000));
    writeFileSync(join(dataDir, 'tls', 'server.crt'), server.certPem + ca.certPem);
    writeFileSync(join(dataDir, 'tls', 'server.key.sealed'), seal(key, Buffer.from(server.keyPem), sealPurpose.serverKey));
  }

  it('at start when it has under 30 days left, and while running once `tls renew` put a new one on disk', async () => {
    const dataDir = dataDirFrom(templateA);
    await expiringIn(dataDir, 10);
    const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const lines: string[] = [];
    const app = await prepareServer(serveOptions(dataDir, { certificateCheckMs: 100, logLevel: 'info', logStream: { write: (line) => lines.push(line) } }));
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const atStart = await presented(port, ca);
      expect(atStart.validTo.getTime() - Date.now()).toBeGreaterThan(390 * 24 * 3600 * 1000);
      expect(lines.join('')).toContain('"event":"certificate_renewed"');

      // What `control-plane tls renew --san console.msp.example` does beside the running server.
      await renewServerCertificate(dataDirPaths(dataDir), Buffer.from(keyA, 'base64'), { addNames: ['console.msp.example'], now: new Date() });
      let names = '';
      for (let attempt = 0; attempt < 50 && !names.includes('console.msp.example'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        names = (await presented(port, ca)).names;
      }
      expect(names).toContain('DNS:console.msp.example');
      expect(lines.join('')).toContain('"event":"certificate_applied"');
    } finally {
      await app.close();
    }
  });

  it('leaves a certificate of the operator\'s own (--tls-cert) alone', async () => {
    const dataDir = dataDirFrom(templateA);
    await expiringIn(dataDir, 10);
    const key = Buffer.from(keyA, 'base64');
    const dir = temp.make('bulkhead-own-tls-');
    writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dataDir, 'tls', 'server.crt')));
    writeFileSync(join(dir, 'key.pem'), open(key, readFileSync(join(dataDir, 'tls', 'server.key.sealed')), sealPurpose.serverKey));
    const before = readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8');
    const app = await prepareServer(serveOptions(dataDir, { tlsCertFile: join(dir, 'chain.pem'), tlsKeyFile: join(dir, 'key.pem') }));
    await app.close();
    expect(readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8')).toBe(before);
  });
});
