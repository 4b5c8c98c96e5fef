import { Agent, request } from 'undici';
import type { z } from 'zod';
import { ErrorEnvelope } from '../../contracts/errors';
import { ConsoleError } from '../console-error';

export interface ControlPlaneTarget {
  /** `https://host:port` */
  url: string;
  /** The control plane's CA certificate (PEM): the only root trusted for it (pinning). */
  caPem: string;
}

/**
 * HTTPS client for one control plane. Trusts only that deployment's CA, never the system roots,
 * so a console cannot be pointed at an impostor with a publicly trusted certificate.
 */
export class ControlPlaneClient {
  private readonly agent: Agent;

  constructor(readonly target: ControlPlaneTarget) {
    this.agent = new Agent({ connect: { ca: target.caPem, rejectUnauthorized: true }, connectTimeout: 5_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
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
      throw new ConsoleError('control_plane_unreachable', `The control plane at ${this.target.url} cannot be reached (${(error as Error).message}).`);
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

  async close(): Promise<void> {
    await this.agent.close();
  }
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
