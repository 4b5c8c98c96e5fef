import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import { ConsoleError } from '../console-error';

/**
 * How the console trusts one control plane: its CA certificate (the only root, never the system's)
 * or the SHA-256 fingerprint of one certificate the server presents (its leaf, or a CA in its chain).
 */
export type TrustPin = { kind: 'ca'; caPem: string } | { kind: 'fingerprint'; sha256: string };

export interface PresentedCertificate {
  subject: string;
  issuer: string;
  /** SHA-256, as `AB:CD:...`. */
  fingerprint: string;
  valid_to: string;
}

/** What a successful handshake proved: which pin matched, and the chain the server presented (leaf first). */
export interface PeerCheck {
  matched: 'ca' | 'leaf_fingerprint' | 'ca_fingerprint';
  chain: PresentedCertificate[];
}

/** Lowercase hex SHA-256 of a certificate's DER bytes. */
export function sha256Hex(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** `ab12...` → `AB:12:...`, as openssl and browsers print fingerprints. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

/**
 * Parses a pasted CA certificate. Only the first certificate of a bundle is pinned, so a bundle is
 * refused rather than half-used; a leaf certificate is refused too (pin its fingerprint instead).
 */
export function parseCaCertificate(pem: string): { cert: X509Certificate; fingerprint: string } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const invalid = (message: string) => new ConsoleError('invalid_request', message, { issues: [{ path: 'ca_pem', message }] });
  if (blocks.length !== 1) {
    throw invalid(blocks.length === 0 ? 'not a PEM certificate (-----BEGIN CERTIFICATE----- ...)' : 'one CA certificate, not a bundle');
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]);
  } catch {
    throw invalid('the certificate does not parse');
  }
  if (!cert.ca) {
    throw invalid("this is not a CA certificate (a server's own certificate can be pinned by its fingerprint instead)");
  }
  return { cert, fingerprint: sha256Hex(cert.raw) };
}

export function describeCertificate(cert: X509Certificate): PresentedCertificate {
  return { subject: oneLine(cert.subject), issuer: oneLine(cert.issuer), fingerprint: formatFingerprint(sha256Hex(cert.raw)), valid_to: new Date(cert.validTo).toISOString() };
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

/** The chain a TLS server presented, leaf first. */
export function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  // Partial: an empty object means no certificate (the types do not say so); a root's issuer is itself.
  let current: Partial<DetailedPeerCertificate> | undefined = socket.getPeerCertificate(true);
  while (current?.raw !== undefined && current.fingerprint256 !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * Accepts a presented chain only if it holds the pinned fingerprint and proves it:
 * - the leaf pinned: the handshake already proved the server holds the leaf's key; it must be in date.
 * - a CA in the chain pinned: every certificate below it must be issued and signed by the next one
 *   (a server can send anyone's CA certificate; only signatures tie its leaf to it), all in date, the
 *   pinned one a CA, and the leaf must name the host.
 */
export function checkPinnedChain(chain: readonly X509Certificate[], sha256: string, hostname: string, now = new Date()): 'leaf_fingerprint' | 'ca_fingerprint' {
  const index = chain.findIndex((cert) => sha256Hex(cert.raw) === sha256);
  const leaf = chain[0];
  if (index < 0 || leaf === undefined) {
    const presented = chain.map((cert) => `${formatFingerprint(sha256Hex(cert.raw))} (${oneLine(cert.subject)})`).join('; ');
    throw untrusted(`none of the certificates it presented has the pinned SHA-256 fingerprint ${formatFingerprint(sha256)}. It presented: ${presented || 'no certificate'}`);
  }
  for (const cert of chain.slice(0, index + 1)) {
    if (Date.parse(cert.validFrom) > now.getTime() || Date.parse(cert.validTo) < now.getTime()) {
      throw untrusted(`its certificate ${oneLine(cert.subject)} is not valid now (valid ${cert.validFrom} to ${cert.validTo})`);
    }
  }
  if (index === 0) {
    return 'leaf_fingerprint';
  }
  for (let i = 0; i < index; i++) {
    const cert = chain[i] as X509Certificate;
    const issuer = chain[i + 1] as X509Certificate;
    if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw untrusted(`its certificate ${oneLine(cert.subject)} is not signed by the pinned CA's chain`);
    }
  }
  const host = hostname.replace(/^\[|\]$/g, '');
  const named = isIP(host) === 0 ? leaf.checkHost(host) : leaf.checkIP(host);
  if (named === undefined) {
    throw untrusted(`its certificate is not for ${host}`);
  }
  return 'ca_fingerprint';
}

function untrusted(reason: string): ConsoleError {
  return new ConsoleError('control_plane_untrusted', reason);
}

export interface PinnedConnectorOptions {
  timeoutMs: number;
  /** Called after every accepted handshake, with what it proved. */
  onPeer?: (check: PeerCheck) => void;
}

/**
 * An undici connector that enforces the pin. A CA pin is Node's own verification with that CA as the
 * only root (hostname included). A fingerprint pin cannot use Node's verification (the CA is not
 * known), so the handshake is completed without it and the chain checked here before the socket is
 * handed to undici, that is before a single byte of HTTP is sent. TLS sessions are not resumed
 * under a fingerprint pin, so every connection presents its certificates again.
 */
export function pinnedConnector(pin: TrustPin, options: PinnedConnectorOptions): buildConnector.connector {
  const base =
    pin.kind === 'ca'
      ? buildConnector({ ca: pin.caPem, rejectUnauthorized: true, timeout: options.timeoutMs })
      : buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0, timeout: options.timeoutMs });
  return (connectOptions, callback) => {
    base(connectOptions, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      const tls = socket as TLSSocket;
      const chain = presentedChain(tls);
      let matched: PeerCheck['matched'] = 'ca';
      if (pin.kind === 'fingerprint') {
        try {
          matched = checkPinnedChain(chain, pin.sha256, connectOptions.hostname);
        } catch (refusal) {
          tls.destroy();
          callback(refusal as Error, null);
          return;
        }
      }
      options.onPeer?.({ matched, chain: chain.map(describeCertificate) });
      callback(null, socket);
    });
  };
}

/** Node's (OpenSSL's) codes for a certificate that did not verify. */
const certificateErrorCodes = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Whether a connection error means "the server's certificate is not the pinned one" (not "down"). */
export function isCertificateError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && certificateErrorCodes.has(code)) return true;
  }
  return false;
}
