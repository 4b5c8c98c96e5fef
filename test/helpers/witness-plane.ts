// A control plane for the witness Playwright spec, in a process of its own (tsx loads what
// Playwright's loader cannot). It prints one JSON line (url, CA, the provider admin) once it
// listens, then obeys lines on stdin, each answered by one JSON line:
//   grow     a tenant is created: the provider ledger grows honestly      → {"event":"grown","slug":…}
//   rewrite  the provider ledger is erased and appended again with one entry changed and one more,
//            with the right key material, under the running control plane  → {"event":"rewritten"}
// It closes on SIGTERM. Run: node --import tsx test/helpers/witness-plane.ts
import { createInterface } from 'node:readline';
import { LedgerEntryView } from '../../contracts/audit';
import { pageOf } from '../../contracts/common';
import { injectCall, startControlPlane } from './control-plane-harness';
import { rewriteLedger } from './ledger-rewrite';

const cp = await startControlPlane();
const call = injectCall(cp.app);
// The previous TOTP step: the console signs the admin in with the current one (a code is used once).
const login = await call('POST', '/provider/v1/auth/login', null, { username: cp.admin.username, password: cp.admin.password, totp: await cp.adminCode(-1) });
if (login.status !== 201) throw new Error(`sign-in: ${login.status} ${JSON.stringify(login.json)}`);
const admin = `Bearer ${String(login.json.token)}`;
let grown = 0;

async function obey(command: string): Promise<Record<string, unknown>> {
  if (command === 'grow') {
    grown += 1;
    const slug = `witnessed-${grown}`;
    const created = await call('POST', '/provider/v1/tenants', admin, { slug, name: `Witnessed ${grown}`, isolation_model: 'pooled' });
    if (created.status !== 201) throw new Error(`tenant: ${created.status} ${JSON.stringify(created.json)}`);
    return { event: 'grown', slug };
  }
  if (command === 'rewrite') {
    const page = await call('GET', '/provider/v1/audit?limit=1000', admin);
    const history = pageOf(LedgerEntryView).parse(page.json).items.reverse();
    const forged = history.find((entry) => entry.event_type === 'TENANT_CREATED') ?? history[0];
    if (forged === undefined) throw new Error('no entry to forge');
    await rewriteLedger(cp.engine, cp.deploymentKey, 'provider', history, { seq: forged.seq, details: { ...forged.details, name: 'Not what happened' } }, 1);
    return { event: 'rewritten', forged_seq: forged.seq };
  }
  return { event: 'error', message: `unknown command ${command}` };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  void obey(line.trim()).then(
    (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`),
    (error: unknown) => process.stdout.write(`${JSON.stringify({ event: 'error', message: error instanceof Error ? error.message : String(error) })}\n`),
  );
});
process.stdout.write(`${JSON.stringify({ event: 'listening', url: cp.url, ca_pem: cp.caPem, admin: cp.admin })}\n`);
process.once('SIGTERM', () => {
  void cp.close().then(() => process.exit(0));
});
