import { InvalidArgumentError } from 'commander';

/**
 * Parsers for the CLI's flags. Each throws commander's InvalidArgumentError, which the CLI turns
 * into one line naming the flag and exit code 2.
 */

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `60s`, `1.5m`, `500ms`, `2h` or a bare number of seconds, to milliseconds (at least 100 ms, at most a day). */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError('a duration such as 30s, 2m or 500ms');
  }
  const ms = Number(match[1]) * (UNITS_MS[match[2] ?? 's'] ?? 1000);
  if (ms < 100 || ms > 86_400_000) {
    throw new InvalidArgumentError('a duration from 100ms to 24h');
  }
  return Math.round(ms);
}

/** A whole number in [min, max]. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** A number in [min, max], fractions allowed (a factor such as 2.5). */
export function decimal(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`a number from ${min} to ${max}`);
    }
    return n;
  };
}

/** `true`/`false` (also yes/no, on/off, 1/0), as in `--honour-retry-after=false`. */
export function parseBoolean(value: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(normalized)) return true;
  if (['false', 'no', 'off', '0'].includes(normalized)) return false;
  throw new InvalidArgumentError('true or false');
}

/** An https:// URL of a control plane (no path, query or credentials). */
export function parseControlPlaneUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('an https:// URL such as https://127.0.0.1:8443');
  }
  if (url.protocol !== 'https:') {
    throw new InvalidArgumentError('an https:// URL: the simulator speaks to control planes over HTTPS only');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('a URL without credentials: sign in with --operator and --password-env');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError('the control plane\'s origin only, such as https://cp.example:8443');
  }
  return url.origin;
}

/** The name of an environment variable (its value is read later, never printed). */
export function parseEnvName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new InvalidArgumentError('the NAME of an environment variable (the secret stays out of the command line)');
  }
  return value;
}
