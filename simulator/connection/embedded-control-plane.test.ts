import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiClient } from './api-client';
import { startEmbeddedControlPlane } from './embedded-control-plane';
import { signInOperator } from './operator-session';

describe('the embedded control plane', () => {
  it('is initialized and served by the repository CLI, answers over HTTPS with its CA pinned, and is removed by stop()', async () => {
    const lines: string[] = [];
    const embedded = await startEmbeddedControlPlane({ onLog: (line) => lines.push(line) });
    const client = new ApiClient(embedded.target);
    try {
      expect(embedded.target.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(existsSync(embedded.dataDir)).toBe(true);
      expect((await client.call('GET', '/healthz')).status).toBe(200);
      // The operator signs in with password + TOTP, as a person would.
      const token = await signInOperator(client, embedded.operator);
      expect(token).toMatch(/^bho_/);
      expect((await client.call('GET', '/provider/v1/license', { token })).json).toMatchObject({ tier: 'isolation' });
      // Nothing secret reaches the control plane's log.
      expect(lines.join('\n')).not.toContain(embedded.operator.password);
      expect(lines.join('\n')).not.toContain(token);
    } finally {
      await client.close();
      await embedded.stop();
    }
    expect(existsSync(embedded.dataDir)).toBe(false);
  });
});
