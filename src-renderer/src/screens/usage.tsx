import { UsagePanel } from '../console-tabs/usage-panel';

/** Provider-wide usage: every tenant's meters for a period, the file an MSP's invoicing imports. */
export function UsageView() {
  return (
    <section aria-labelledby="usage-heading">
      <h1 id="usage-heading">Usage</h1>
      <p className="lead">Every tenant&apos;s meters for a period, one row per tenant and meter. The columns are a stable contract: new ones are only ever appended.</p>
      <UsagePanel />
    </section>
  );
}
