import { Pool, type Dispatcher } from 'undici';
import { SimulatorError } from '../errors';

/** Where a control plane answers and the CA its certificate must chain to (pinned: nothing else is trusted). */
export interface ControlPlaneTarget {
  url: string;
  caPem: string;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface CallOptions {
  /** A bearer token (any kind); never logged. */
  token?: string | null;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
]);

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_')) return code;
  }
  return undefined;
}

/**
 * A network failure in one line. A certificate that does not chain to the pinned CA is refused
 * (never retried, never trusted anyway); the line says which CA was expected.
 */
export function describeNetworkError(error: unknown, url: string): { message: string; tls: boolean } {
  const code = errorCode(error);
  if (code !== undefined && TLS_CODES.has(code)) {
    return { tls: true, message: `refused ${url}: its TLS certificate does not chain to the pinned CA (${code}); pass the control plane's own CA with --ca <data>/tls/ca.crt` };
  }
  if (code === 'ECONNREFUSED') return { tls: false, message: `nothing answers at ${url} (connection refused)` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { tls: false, message: `cannot resolve the host of ${url}` };
  const text = error instanceof Error ? error.message : String(error);
  return { tls: false, message: `cannot reach ${url}: ${code ?? text}` };
}

/** The path of a request without its query (a query can carry an authorization code). */
function shownPath(path: string): string {
  return path.split('?')[0] ?? path;
}

function errorOf(json: Record<string, unknown>): { code?: string; message?: string } {
  const error = json.error;
  return typeof error === 'object' && error !== null ? error : {};
}

/**
 * The simulator's HTTPS client for one control plane: one undici Pool (keep-alive), the control
 * plane's CA pinned. Everything the simulator does to a control plane goes through its public API.
 */
export class ApiClient {
  readonly pool: Pool;

  constructor(
    readonly target: ControlPlaneTarget,
    options: { connections?: number } = {},
  ) {
    this.pool = new Pool(target.url, {
      connect: { ca: target.caPem, timeout: 10_000 },
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  }

  async call(method: Method, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined && options.token !== null) headers.authorization = `Bearer ${options.token}`;
    let body: string | null = null;
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await this.pool.request({ method, path, headers, body });
    } catch (error) {
      throw new SimulatorError(describeNetworkError(error, this.target.url).message);
    }
    const text = await response.body.text();
    let json: Record<string, unknown> = {};
    if (text !== '') {
      try {
        const parsed: unknown = JSON.parse(text);
        json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
      } catch {
        json = { text: text.slice(0, 200) };
      }
    }
    return { status: response.statusCode, headers: response.headers, json };
  }

  /** Calls and insists on `status`; anything else is a SimulatorError naming the step, the route and the server's error code. */
  async expect(what: string, status: number, method: Method, path: string, options: CallOptions = {}): Promise<Record<string, unknown>> {
    const answer = await this.call(method, path, options);
    if (answer.status !== status) {
      const error = errorOf(answer.json);
      const detail = error.code === undefined ? '' : ` ${error.code}: ${error.message ?? ''}`;
      throw new SimulatorError(`${what}: ${method} ${shownPath(path)} answered ${answer.status}${detail}`.trim());
    }
    return answer.json;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The server's error code in an answer, if any. */
export function answerCode(answer: Answer): string | undefined {
  return errorOf(answer.json).code;
}
