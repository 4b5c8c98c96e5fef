/**
 * The license-signing public keys built into the product, by key id. The matching private keys
 * are held by the vendor and never enter this repository; a new key is added here (old ones stay
 * until the licenses they signed have expired).
 */
export const vendorLicenseKeys: Readonly<Record<string, string>> = Object.freeze({
  'bulkhead-vendor-2026': `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAww01FgFyy00FGtJh4vAJ6ayB/zXVq1Fql6ZpwRTDVzU=
-----END PUBLIC KEY-----
`,
});
