// A real OpenID Provider (oidc-provider) for tests: served over HTTPS on loopback with a
// certificate from a private CA, PKCE required, and a non-interactive interaction route that logs
// in whichever account `loginAs` named. `followLogin` plays the browser through it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { createCertificateAuthority, createServerCertificate, defaultServerNames } from '../../control-plane/tls/certificates';

export interface TestIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Default client_secret_basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface TestIdpAccount {
  email: string;
  name: string;
  groups: string[];
  tenant?: string | string[];
}

export interface TestIdpOptions {
  clients: TestIdpClient[];
  accounts: Record<string, TestIdpAccount>;
  ttlSeconds?: { AuthorizationCode?: number };
}

export interface TestIdp {
  /** The issuer identifier, e.g. https://127.0.0.1:41234 */
  issuer: string;
  /** PEM of the private CA that signed the IdP's TLS certificate. */
  caPem: string;
  /** The account the next interactions log in (and consent) as. */
  loginAs(accountId: string): void;
  /** The next interaction ends with error=access_denied instead of a login. */
  denyNextLogin(): void;
  close(): Promise<void>;
}

// --- The slice of oidc-provider's (untyped) API this helper uses. ---------------------------------

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface ProviderInteraction {
  uid: string;
  params: Record<string, unknown>;
}

interface ProviderGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}

interface ProviderInstance {
  callback(): NodeHandler;
  Grant: new (init: { accountId: string; clientId: string }) => ProviderGrant;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<ProviderInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
}

type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

function isProviderConstructor(value: unknown): value is ProviderConstructor {
  if (typeof value !== 'function') {
    return false;
  }
  const prototype: unknown = value.prototype;
  return typeof prototype === 'object' && prototype !== null && 'interactionFinished' in prototype && 'callback' in prototype;
}

let providerClass: Promise<ProviderConstructor> | undefined;

/** oidc-provider ships no type declarations: load it by a non-literal specifier and narrow. */
async function loadProvider(): Promise<ProviderConstructor> {
  const specifier = 'oidc-provider';
  const loaded: unknown = await import(specifier);
  if (typeof loaded === 'object' && loaded !== null && 'default' in loaded && isProviderConstructor(loaded.default)) {
    return loaded.default;
  }
  throw new Error('oidc-provider did not export a Provider class');
}

// --- The IdP. ------------------------------------------------------------------------------------

const OIDC_CLAIMS = ['email', 'email_verified', 'name', 'groups', 'tenant'];

export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  providerClass ??= loadProvider();
  const Provider = await providerClass;

  const ca = await createCertificateAuthority('Bulkhead test IdP CA');
  const tls = await createServerCertificate(ca, defaultServerNames);
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  let currentAccount: string | undefined;
  let denyNext = false;

  async function finishInteraction(req: IncomingMessage, res: ServerResponse, idp: ProviderInstance): Promise<void> {
    const details = await idp.interactionDetails(req, res);
    if (denyNext) {
      denyNext = false;
      await idp.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user declined the login' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = currentAccount;
    const clientId = details.params.client_id;
    const scope = details.params.scope;
    if (accountId === undefined || typeof clientId !== 'string' || typeof scope !== 'string') {
      res.statusCode = 400;
      res.end('test IdP: call loginAs() before the login, and send client_id and scope');
      return;
    }
    const grant = new idp.Grant({ accountId, clientId });
    grant.addOIDCScope(scope);
    grant.addOIDCClaims(OIDC_CLAIMS);
    const grantId = await grant.save();
    await idp.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  async function route(req: IncomingMessage, res: ServerResponse, provider: ProviderInstance, handle: NodeHandler): Promise<void> {
    try {
      if ((req.url ?? '').startsWith('/interaction/')) {
        await finishInteraction(req, res, provider);
        return;
      }
      await handle(req, res);
    } catch (error) {
      if (!res.headersSent) {
        res.statusCode = 500;
      }
      res.end(`test IdP error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // The request handler is attached once the provider exists (it needs the issuer, so the port).
  const server = createServer({ cert: tls.certPem, key: tls.keyPem });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // Served directly over TLS (no proxy in front): Koa sees the encrypted socket, so every URL the
  // provider builds is https and matches the issuer. `proxy` stays off so X-Forwarded-* is ignored.
  const issuer = `https://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
    })),
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // Code flow: put the scope claims into the ID token too (not only at userinfo).
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub', 'groups', 'tenant'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    ttl: { AuthorizationCode: options.ttlSeconds?.AuthorizationCode ?? 60 },
    findAccount: (_ctx: unknown, sub: string) => {
      const account = options.accounts[sub];
      if (account === undefined) {
        return undefined;
      }
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: account.email,
          email_verified: true,
          name: account.name,
          groups: account.groups,
          ...(account.tenant === undefined ? {} : { tenant: account.tenant }),
        }),
      };
    },
  });
  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void route(req, res, provider, handle);
  });

  return {
    issuer,
    caPem: ca.certPem,
    loginAs(accountId: string): void {
      currentAccount = accountId;
    },
    denyNextLogin(): void {
      denyNext = true;
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) {
            resolve();
          } else {
            reject(error);
          }
        });
      });
    },
  };
}

// --- The browser. --------------------------------------------------------------------------------

type CookieJar = Map<string, Map<string, string>>;

function storeCookies(jar: CookieJar, host: string, setCookies: string[]): void {
  let cookies = jar.get(host);
  if (cookies === undefined) {
    cookies = new Map();
    jar.set(host, cookies);
  }
  for (const line of setCookies) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      continue;
    }
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', attributeValue = ''] = attribute.split('=').map((part) => part.trim());
      if (key.toLowerCase() === 'max-age') {
        return Number(attributeValue) <= 0;
      }
      if (key.toLowerCase() === 'expires') {
        return Date.parse(attribute.slice(attribute.indexOf('=') + 1)) <= Date.now();
      }
      return false;
    });
    if (expired || value === '') {
      cookies.delete(name);
    } else {
      cookies.set(name, value);
    }
  }
}

function cookieHeader(jar: CookieJar, host: string): string | undefined {
  const cookies = jar.get(host);
  if (cookies === undefined || cookies.size === 0) {
    return undefined;
  }
  return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

/**
 * Follows the authorization request like a browser would (cookies per host, TLS pinned to `caPem`,
 * redirects by hand) until a redirect leaves the IdP; returns that URL (the RP's redirect_uri with
 * ?code&state or ?error) without requesting it.
 */
export async function followLogin(authUrl: URL, caPem: string): Promise<URL> {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  const jar: CookieJar = new Map();
  const idpOrigin = authUrl.origin;
  let current = new URL(authUrl);
  try {
    for (let hop = 0; hop < 20; hop += 1) {
      const cookie = cookieHeader(jar, current.host);
      const response = await undiciFetch(current, {
        redirect: 'manual',
        dispatcher,
        headers: cookie === undefined ? {} : { cookie },
      });
      storeCookies(jar, current.host, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        const next = new URL(location, current);
        if (next.origin !== idpOrigin) {
          return next;
        }
        current = next;
        continue;
      }
      const body = await response.text();
      throw new Error(`followLogin: ${current.pathname} answered ${response.status} without leaving the IdP: ${body.slice(0, 300)}`);
    }
    throw new Error('followLogin: too many redirects');
  } finally {
    await dispatcher.close();
  }
}
