// A control plane for Playwright specs, in a process of its own (tsx loads what Playwright's loader
// cannot): licensed by a test signer for 20,000 tenants, `--tenants N` pooled tenants seeded. It
// prints one JSON line (url, CA, admin) once it listens, and closes on SIGTERM.
// Run: node --import tsx test/helpers/seeded-control-plane.ts --tenants 10000
import { startControlPlane } from './control-plane-harness';
import { seedPooledTenants } from './seed-tenants';
import { licenseText, mintLicense, testSigner } from './startup-fixtures';

const flag = process.argv.indexOf('--tenants');
const count = flag === -1 ? 0 : Number(process.argv[flag + 1]);
const signer = testSigner();
const cp = await startControlPlane({ licenseText: licenseText(mintLicense(signer, { tenant_band: 20_000 })), licenseTrust: signer.trust });
const key = Buffer.from(cp.deploymentKey, 'base64');
const storage = await cp.engine.openStorage(key);
try {
  await seedPooledTenants(storage, key, count);
} finally {
  await storage.close();
}
process.stdout.write(`${JSON.stringify({ event: 'listening', url: cp.url, ca_pem: cp.caPem, admin: cp.admin })}\n`);
process.once('SIGTERM', () => {
  void cp.close().then(() => process.exit(0));
});
