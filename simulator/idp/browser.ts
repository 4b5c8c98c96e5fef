import { Agent, fetch as undiciFetch, getSetCookies, type Response } from 'undici';
import type { ApiClient } from '../connection/api-client';
import { SimulatorError } from '../errors';

/** Cookies per host, as a browser keeps them (path and expiry are not needed for these flows). */
class CookieJar {
  private readonly hosts = new Map<string, Map<string, string>>();

  store(host: string, response: Response): void {
    let cookies = this.hosts.get(host);
    if (cookies === undefined) {
      cookies = new Map();
      this.hosts.set(host, cookies);
    }
    for (const cookie of getSetCookies(response.headers)) {
      if (cookie.value === '' || cookie.maxAge === 0 || (cookie.expires !== undefined && new Date(cookie.expires).getTime() <= Date.now())) cookies.delete(cookie.name);
      else cookies.set(cookie.name, cookie.value);
    }
  }

  header(host: string): Record<string, string> {
    const cookies = this.hosts.get(host);
    return cookies === undefined || cookies.size === 0 ? {} : { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }
}

export interface SignedInPerson {
  /** The tenant session (bht_). */
  token: string;
  user: { id: string; roles: string[] };
}

/** The form on an IdP login page: where it posts. */
function formAction(html: string): string | null {
  return /<form[^>]*action="([^"]+)"/i.exec(html)?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))) ?? null;
}

/**
 * A person signing in to a tenant the way a browser does it: the control plane sends them to
 * their IdP (authorization code + PKCE, which the control plane holds), the IdP shows its login
 * form, the person types their user name and password, and the IdP sends them back to the
 * control plane's callback, which opens a tenant session. No session is ever written directly.
 */
export async function signInThroughIdp(client: ApiClient, tenantSlug: string, person: { userName: string; password: string }, idpCaPem: string): Promise<SignedInPerson> {
  const start = await client.call('GET', `/v1/auth/oidc/login?tenant=${encodeURIComponent(tenantSlug)}`);
  const location = start.headers.location;
  if (start.status !== 302 || typeof location !== 'string') {
    throw new SimulatorError(`sign-in of ${person.userName} to ${tenantSlug}: the control plane answered ${start.status} instead of sending the browser to the IdP`);
  }
  const controlPlaneCookie = [start.headers['set-cookie']].flat().filter((line) => typeof line === 'string').map((line) => line.split(';')[0]).join('; ');

  const idp = new Agent({ connect: { ca: idpCaPem } });
  const jar = new CookieJar();
  let current = new URL(location);
  const idpOrigin = current.origin;
  let init: { method: string; body?: string; contentType?: string } = { method: 'GET' };
  try {
    for (let hop = 0; hop < 20; hop++) {
      const response = await undiciFetch(current, {
        method: init.method,
        redirect: 'manual',
        dispatcher: idp,
        headers: { ...jar.header(current.host), ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }) },
        body: init.body ?? null,
      });
      jar.store(current.host, response);
      const next = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && next !== null) {
        await response.body?.cancel();
        current = new URL(next, current);
        init = { method: 'GET' };
        if (current.origin !== idpOrigin) break;
        continue;
      }
      const html = await response.text();
      const action = formAction(html);
      if (response.status === 200 && action !== null && init.method === 'GET') {
        // The IdP's login page: the person types their name and password.
        current = new URL(action, current);
        init = { method: 'POST', contentType: 'application/x-www-form-urlencoded', body: new URLSearchParams({ username: person.userName, password: person.password }).toString() };
        continue;
      }
      throw new SimulatorError(`sign-in of ${person.userName} to ${tenantSlug}: the IdP answered ${response.status} at ${current.pathname}`);
    }
  } finally {
    await idp.close();
  }
  if (current.origin === idpOrigin) throw new SimulatorError(`sign-in of ${person.userName} to ${tenantSlug}: the IdP never sent the browser back`);
  const error = current.searchParams.get('error');
  if (error !== null) throw new SimulatorError(`sign-in of ${person.userName} to ${tenantSlug}: the IdP refused it (${error})`);

  const callback = await client.call('GET', `${current.pathname}${current.search}`, { headers: { cookie: controlPlaneCookie } });
  const token = callback.json.token;
  const user = callback.json.user as { id?: unknown; roles?: unknown } | undefined;
  if (callback.status !== 201 || typeof token !== 'string' || typeof user?.id !== 'string') {
    const code = (callback.json.error as { code?: string; details?: { reason?: string } } | undefined);
    throw new SimulatorError(`sign-in of ${person.userName} to ${tenantSlug}: the control plane's callback answered ${callback.status} ${code?.details?.reason ?? code?.code ?? ''}`.trim());
  }
  return { token, user: { id: user.id, roles: Array.isArray(user.roles) ? user.roles.map(String) : [] } };
}
