import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StartupError } from '../errors';
import { newToken } from './tokens';

const SCRAPE_TOKEN = /^bhm_[A-Za-z0-9_-]{43}$/;

/** A new scrape token for `serve --metrics-token-file` (the CLI's `metrics-token`). */
export function newScrapeToken(): string {
  return newToken('bhm_');
}

/**
 * The Prometheus scrape token `/metrics` also accepts (a scraper holds no operator session). Only
 * its SHA-256 is kept in memory; a presented token is compared in constant time.
 */
export class ScrapeToken {
  private constructor(private readonly digest: Buffer) {}

  static fromText(text: string): ScrapeToken {
    const token = text.trim();
    if (!SCRAPE_TOKEN.test(token)) {
      throw new StartupError('metrics_token_invalid', 'The metrics token file must hold one bhm_ token, as `control-plane metrics-token` writes it.');
    }
    return new ScrapeToken(sha256(token));
  }

  static fromFile(file: string): ScrapeToken {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new StartupError('metrics_token_invalid', `Cannot read the metrics token file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}).`);
    }
    return ScrapeToken.fromText(text);
  }

  matches(presented: string): boolean {
    return timingSafeEqual(sha256(presented), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
