import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StartupError } from '../errors';
import { newScrapeToken, ScrapeToken } from './scrape-token';

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-scrape-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scrape token', () => {
  it('matches the token it was made from and nothing else', () => {
    const token = newScrapeToken();
    expect(token).toMatch(/^bhm_[A-Za-z0-9_-]{43}$/);
    const held = ScrapeToken.fromText(`${token}\n`);
    expect(held.matches(token)).toBe(true);
    expect(held.matches(newScrapeToken())).toBe(false);
    expect(held.matches(token.slice(0, -1))).toBe(false);
    expect(held.matches('')).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['another kind of token', 'bho_' + 'a'.repeat(43)],
    ['too short', 'bhm_short'],
    ['two tokens', `${'bhm_' + 'a'.repeat(43)}\n${'bhm_' + 'b'.repeat(43)}`],
  ])('refuses a file that is %s with one line naming the command that makes one', (_what, text) => {
    const file = join(dir, 'bad.token');
    writeFileSync(file, text);
    expect(() => ScrapeToken.fromFile(file)).toThrow(StartupError);
    expect(() => ScrapeToken.fromFile(file)).toThrow(/metrics-token/);
  });

  it('refuses a missing file without echoing its path or contents', () => {
    let error: unknown;
    try {
      ScrapeToken.fromFile(join(dir, 'missing.token'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).code).toBe('metrics_token_invalid');
    expect((error as StartupError).message).toContain('ENOENT');
  });
});
