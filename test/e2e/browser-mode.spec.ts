import { request as httpRequest } from 'node:http';
import { expect, test } from './fixtures';

/** A raw GET with any Host header (a browser cannot be made to send a wrong one for a loopback URL). */
function getWithHost(origin: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: '/', method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the launch link works once: a second use, from another browser profile, is refused with a page saying why', async ({ browser, page, browserConsole }) => {
  await page.goto(browserConsole.launchUrl);
  // The embedded control plane may still be starting.
  await expect(page.getByRole('heading', { name: 'Set up Bulkhead' })).toBeVisible({ timeout: 30_000 });

  const other = await browser.newContext();
  const second = await other.newPage();
  const response = await second.goto(browserConsole.launchUrl);
  expect(response?.status()).toBe(410);
  await expect(second.getByRole('heading', { name: 'This launch link was already used' })).toBeVisible();
  // And it did not get in.
  expect((await second.goto(browserConsole.origin + '/'))?.status()).toBe(401);
  await other.close();

  // The browser that used it just goes back to the console.
  await page.goto(browserConsole.launchUrl);
  await expect(page.getByRole('heading', { name: 'Set up Bulkhead' })).toBeVisible();
});

test('a Host with the right address but another port is refused', async ({ browserConsole }) => {
  const port = Number(new URL(browserConsole.origin).port);
  const wrongPort = await getWithHost(browserConsole.origin, `127.0.0.1:${port + 1}`);
  expect(wrongPort.status).toBe(421);
  expect(wrongPort.body).toContain('Wrong address');
  const rebound = await getWithHost(browserConsole.origin, `attacker.example:${port}`);
  expect(rebound.status).toBe(421);
  // The right Host without the cookie gets the "use your launch link" page instead.
  expect((await getWithHost(browserConsole.origin, `127.0.0.1:${port}`)).status).toBe(401);
});
