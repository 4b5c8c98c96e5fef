import { PortalSession } from '../../contracts/portal';

/** A refusal the control plane answered: its status and error code (never the body's free text as markup). */
export class PortalApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The portal's calls: same origin, the portal cookie, and the session's CSRF value on every state-changing one. */
export interface PortalApi {
  get(path: string): Promise<unknown>;
  send(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
}

async function answer(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new PortalApiError(response.status, typeof error?.code === 'string' ? error.code : 'error', typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`);
  }
  return body;
}

export function portalApi(fetcher: typeof fetch, csrf: string): PortalApi {
  return {
    get: async (path) => answer(await fetcher(path, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })),
    send: async (method, path, body) =>
      answer(
        await fetcher(path, {
          method,
          credentials: 'same-origin',
          headers: { accept: 'application/json', 'x-bulkhead-csrf': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      ),
  };
}

/** The signed-in session, or null when no one is signed in here. */
export async function loadSession(fetcher: typeof fetch): Promise<PortalSession | null> {
  const response = await fetcher('/portal/session', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } });
  if (response.status === 401) return null;
  return PortalSession.parse(await answer(response));
}
