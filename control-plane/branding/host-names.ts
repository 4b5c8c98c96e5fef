/**
 * Host names as branding sees them: a custom domain a provider enters, and the host a browser is on
 * when a sign-in wall asks for its brand. Both are compared in one normal form: lowercase ASCII
 * (internationalized names in their `xn--` form), no trailing dot, no port.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The longest host text looked at: a name (253) and a port, with room to spare; longer resolves to nothing. */
const MAX_HOST_INPUT = 300;

/** A DNS host name of two labels or more, lowercase, not an IP address. */
export function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return false;
  // An all-numeric last label is an IPv4 address (or a typo of one), never a domain.
  return !/^\d+$/.test(labels.at(-1) ?? '');
}

/**
 * The normal form of what a browser sent as its host (`Host` header or `?host=`): lowercase, one
 * trailing dot and a port dropped. Null for anything that is not a host name (IP literals included).
 */
export function normalizeHost(input: string): string | null {
  if (input.length === 0 || input.length > MAX_HOST_INPUT) return null;
  const port = /:(\d{1,5})$/.exec(input);
  if (port !== null && Number(port[1]) > 65535) return null;
  const withoutPort = port === null ? input : input.slice(0, port.index);
  const lower = withoutPort.toLowerCase();
  const name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return isHostName(name) ? name : null;
}

/**
 * The normal form of a custom domain, or why it cannot be one. It may not be the base domain or a
 * name under it: those are tenant hosts (`<slug>.<base domain>`), and a custom domain there would
 * shadow another tenant's host.
 */
export function customDomain(input: string, baseDomain: string | null): { domain: string } | { problem: string } {
  const lower = input.toLowerCase();
  const name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (!isHostName(name)) {
    return { problem: 'a host name of two labels or more (a-z, 0-9, inner dashes; internationalized names in their xn-- form), not an IP address, without a port' };
  }
  if (baseDomain !== null && (name === baseDomain || name.endsWith(`.${baseDomain}`))) {
    return { problem: `not the base domain or a name under it (${baseDomain}): those are tenant hosts` };
  }
  return { domain: name };
}

/** The tenant slug a host names under the base domain (`<slug>.<base domain>`, one label), or null. */
export function tenantHostSlug(host: string, baseDomain: string | null): string | null {
  if (baseDomain === null || !host.endsWith(`.${baseDomain}`)) return null;
  const label = host.slice(0, -(baseDomain.length + 1));
  return label.includes('.') || label.length === 0 ? null : label;
}

/** Whether a host is the base domain or under it (where custom domains never apply). */
export function underBaseDomain(host: string, baseDomain: string | null): boolean {
  return baseDomain !== null && (host === baseDomain || host.endsWith(`.${baseDomain}`));
}
