import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiClient } from './api-client';
import { startEmbeddedControlPlane } from './embedded-control-plane';
import { SimulatorError } from '../errors';
import { enrollOperator, signInOperator } from './operator-session';

describe('the embedded control plane', () => {
  // init, a child control plane and four scrypt-checked sign-ins and enrollments: minutes on a busy machine.
  it('is initialized and served by the repository CLI, answers over HTTPS with its CA pinned, and is removed by stop()', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const embedded = await startEmbeddedControlPlane({ onLog: (line) => lines.push(line) });
    const client = new ApiClient(embedded.target);
    try {
      expect(embedded.target.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(existsSync(embedded.dataDir)).toBe(true);
      expect((await client.call('GET', '/healthz')).status).toBe(200);
      // The operator signs in with password + TOTP, as a person would (its first sign-in confirms its enrollment).
      const token = await signInOperator(client, embedded.operator);
      expect(token).toMatch(/^bho_/);
      expect((await client.call('GET', '/provider/v1/license', { token })).json).toMatchObject({ tier: 'isolation' });
      // A person's pending enrollment is theirs to finish: the simulator says so and does not finish it.
      const password = 'a-person-long-password';
      expect((await client.call('POST', '/provider/v1/operators', { token, body: { username: 'person', roles: ['provider_operator'], password } })).status).toBe(201);
      const refused = signInOperator(client, { username: 'person', password, totpSecret: embedded.operator.totpSecret });
      await expect(refused).rejects.toThrow(SimulatorError);
      await expect(refused).rejects.toThrow(/person has not finished its TOTP enrollment.*sign in once at the console/);
      // An operator the simulator makes enrolls its own authenticator at its first sign-in.
      const enrolled = await enrollOperator(client, 'person', password);
      expect(enrolled.token).toMatch(/^bho_/);
      expect(enrolled.totpSecret).not.toBe(embedded.operator.totpSecret);
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
