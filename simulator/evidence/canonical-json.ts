/**
 * Canonical JSON (RFC 8785, JCS, for the values a report holds): object members sorted by key (UTF-16
 * code units, as JavaScript compares strings), no whitespace, strings and numbers as JSON.stringify
 * writes them (which is what JCS specifies for them). Signing these bytes makes a signature
 * independent of how the file was indented or its keys ordered. Values JSON cannot carry are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: a ${typeof value} cannot be written`);
}
