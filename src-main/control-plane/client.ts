import { Agent, request } from 'undici';
import { z } from 'zod';
import { ErrorEnvelope } from '../../contracts/errors';
import { ConsoleError } from '../console-error';
import { isCertificateError, pinnedConnector, type PeerCheck, type TrustPin } from './tls-pin';

/**
 * One control plane: `https://host:port` and how it is trusted, by its CA certificate (PEM, the only
 * root trusted for it) or by a certificate's SHA-256 fingerprint (lowercase hex).
 */
export type ControlPlaneTarget = { url: string; caPem: string } | { url: string; fingerprint: string };

export function trustPin(target: ControlPlaneTarget): TrustPin {
  return 'caPem' in target ? { kind: 'ca', caPem: target.caPem } : { kind: 'fingerprint', sha256: target.fingerprint };
}

const Health = z.object({ status: z.literal('ok') });

/**
 * HTTPS client for one control plane. Trusts only what is pinned for it, never the system roots,
 * so a console cannot be pointed at an impostor with a publicly trusted certificate.
 */
export class ControlPlaneClient {
  private readonly agent: Agent;
  private lastPeer: PeerCheck | null = null;

  constructor(readonly target: ControlPlaneTarget) {
    const connect = pinnedConnector(trustPin(target), {
      timeoutMs: 5_000,
      onPeer: (check) => {
        this.lastPeer = check;
      },
    });
    this.agent = new Agent({ connect, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  /** GET /healthz over a new connection: what its handshake proved (the pin that matched, the chain presented). */
  async probe(): Promise<PeerCheck> {
    this.lastPeer = null;
    await this.call('GET', '/healthz', Health);
    const peer = this.peerSeen();
    if (peer === null) {
      throw new ConsoleError('internal_error', 'The connection answered without a checked handshake.');
    }
    return peer;
  }

  /** What the last accepted handshake proved (set by the connector, behind the compiler's back). */
  private peerSeen(): PeerCheck | null {
    return this.lastPeer;
  }

  async call<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    schema: S | null,
    options: { body?: unknown; token?: string | null } = {},
  ): Promise<z.output<S> | null> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) {
      headers.authorization = `Bearer ${options.token}`;
    }
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(new URL(path, this.target.url), {
        method,
        headers,
        body: options.body === undefined ? null : JSON.stringify(options.body),
        dispatcher: this.agent,
      });
    } catch (error) {
      throw connectionError(this.target.url, error);
    }
    const text = await response.body.text();
    if (response.statusCode >= 400) {
      throw toConsoleError(response.statusCode, text);
    }
    if (schema === null || response.statusCode === 204) {
      return null;
    }
    const parsed = schema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new ConsoleError('internal_error', `The control plane answered ${method} ${path} outside its contract.`);
    }
    return parsed.data;
  }

  /**
   * A GET whose answer is a file (CSV, JSON or PDF export): its bytes and the name the control plane
   * gives it (content-disposition), read in full; errors are the JSON envelope as for `call`.
   */
  async download(path: string, token: string): Promise<{ bytes: Buffer; filename: string | null }> {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(new URL(path, this.target.url), { method: 'GET', headers: { authorization: `Bearer ${token}` }, dispatcher: this.agent });
    } catch (error) {
      throw connectionError(this.target.url, error);
    }
    const bytes = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode >= 400) {
      throw toConsoleError(response.statusCode, bytes.toString('utf8'));
    }
    const disposition = response.headers['content-disposition'];
    const named = typeof disposition === 'string' ? /filename="([^"]+)"/.exec(disposition) : null;
    return { bytes, filename: named?.[1] ?? null };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A failed request as the operator should read it: not the pinned control plane, or not reachable. */
function connectionError(url: string, error: unknown): ConsoleError {
  if (error instanceof ConsoleError && error.code === 'control_plane_untrusted') {
    return new ConsoleError('control_plane_untrusted', `The server at ${url} is not the pinned control plane: ${error.message}.`);
  }
  const reason = error instanceof Error ? error.message : String(error);
  if (isCertificateError(error)) {
    return new ConsoleError(
      'control_plane_untrusted',
      `The server at ${url} presented a certificate that the pinned CA certificate does not vouch for (${reason}). Check the CA certificate, and that this is the control plane's address.`,
    );
  }
  return new ConsoleError('control_plane_unreachable', `The control plane at ${url} cannot be reached (${reason}).`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toConsoleError(status: number, text: string): ConsoleError {
  const envelope = ErrorEnvelope.safeParse(safeJson(text));
  if (envelope.success) {
    return new ConsoleError(envelope.data.error.code, envelope.data.error.message, { ...envelope.data.error.details, status });
  }
  return new ConsoleError('internal_error', `The control plane answered HTTP ${status} without an error body.`, { status });
}
