// A tenant's identity provider, simulated with a real OpenID Provider (oidc-provider) over HTTPS
// on loopback with a CA of its own. Its login page is a form; the simulated person's browser
// (browser.ts) fills it in, so several people can sign in at once, each as themselves.
import { generateKeyPair, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { IdpDirectory } from './directory';
import { loopbackTls } from './loopback-tls';
import { memoryAdapter } from './memory-adapter';

export interface SimulatedIdp {
  /** e.g. https://127.0.0.1:41234 */
  issuer: string;
  /** The IdP's CA certificate, for the control plane's `ca_pem` and the browser. */
  caPem: string;
  clientId: string;
  /** The relying party's secret at this IdP (configured in the control plane, never printed). */
  clientSecret: string;
  directory: IdpDirectory;
  close(): Promise<void>;
}

export interface IdpOptions {
  /** Names the IdP (its certificate) and is the value of the `tenant` claim in its ID tokens. */
  tenantSlug: string;
  /** The control plane's OIDC callback: https://<host>/v1/auth/oidc/callback */
  redirectUri: string;
  directory: IdpDirectory;
}

// --- The slice of oidc-provider's (untyped) API used here. -----------------------------------------

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface ProviderGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}

interface Provider {
  callback(): NodeHandler;
  Grant: new (init: { accountId: string; clientId: string }) => ProviderGrant;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; params: Record<string, unknown> }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options: { mergeWithLastSubmission: boolean }): Promise<void>;
}

type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => Provider;

let providerClass: Promise<ProviderClass> | undefined;

/** oidc-provider ships no type declarations: load it by a non-literal specifier and check its shape. */
async function loadProvider(): Promise<ProviderClass> {
  const specifier = 'oidc-provider';
  // On Node 20 oidc-provider warns, once at import, that it wants Node 22; it works here (and the
  // project supports Node >= 20.19), so that one line stays out of the simulator's output.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && args[0].includes('Unsupported runtime'))) warn(...args);
  };
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } finally {
    console.warn = warn;
  }
  const candidate: unknown = typeof loaded === 'object' && loaded !== null && 'default' in loaded ? loaded.default : undefined;
  if (typeof candidate === 'function' && typeof (candidate.prototype as { interactionFinished?: unknown } | undefined)?.interactionFinished === 'function') {
    return candidate as ProviderClass;
  }
  throw new Error('oidc-provider did not export a Provider class');
}

const CLAIMS = ['email', 'email_verified', 'name', 'groups', 'tenant'];
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new Error('login form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(res: ServerResponse, uid: string, slug: string, message = ''): void {
  res.statusCode = message === '' ? 200 : 401;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(
    `<!doctype html><title>${escapeHtml(slug)} sign-in</title>${message === '' ? '' : `<p role="alert">${escapeHtml(message)}</p>`}` +
      `<form method="post" action="/interaction/${escapeHtml(uid)}/login"><input name="username" autocomplete="username"><input name="password" type="password"><button>Sign in</button></form>`,
  );
}

/** Starts a tenant's IdP: PKCE required, ID tokens carrying email, name, groups and the tenant claim. */
export async function startIdp(options: IdpOptions): Promise<SimulatedIdp> {
  providerClass ??= loadProvider();
  const ProviderCtor = await providerClass;
  const [tls, signing] = await Promise.all([loopbackTls(`${options.tenantSlug} IdP`), promisify(generateKeyPair)('rsa', { modulusLength: 2048 })]);
  const clientId = `bulkhead-${options.tenantSlug}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const { directory } = options;

  const server = createServer({ cert: tls.certPem, key: tls.keyPem });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new ProviderCtor(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [options.redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [{ ...signing.privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' }] },
    adapter: memoryAdapter(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Lifetimes of a sign-in's artifacts: minutes, as a run is short.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    pkce: { required: () => true },
    // Code flow: the scope claims go into the ID token too, not only to userinfo.
    conformIdTokenClaims: false,
    claims: { openid: ['sub', 'groups', 'tenant'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const person = directory.get(sub);
      if (person === undefined || !person.active) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, email: person.userName, email_verified: true, name: person.displayName, groups: person.groups, tenant: options.tenantSlug }),
      };
    },
  });
  const handle = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (req.method !== 'POST' || !path.endsWith('/login')) {
      loginPage(res, details.uid, options.tenantSlug);
      return;
    }
    const form = await readForm(req);
    const person = directory.authenticate(form.get('username') ?? '', form.get('password') ?? '');
    const clientIdParam = details.params.client_id;
    const scope = details.params.scope;
    if (person === undefined || typeof clientIdParam !== 'string' || typeof scope !== 'string') {
      loginPage(res, details.uid, options.tenantSlug, 'Unknown user, wrong password, or the account is disabled.');
      return;
    }
    const grant = new provider.Grant({ accountId: person.subject, clientId: clientIdParam });
    grant.addOIDCScope(scope);
    grant.addOIDCClaims(CLAIMS);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: person.subject }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const work = path.startsWith('/interaction/') ? interaction(req, res, path) : handle(req, res);
    work.catch((error: unknown) => {
      if (!res.headersSent) res.statusCode = 500;
      res.end(`IdP error: ${error instanceof Error ? error.message : 'failed'}`);
    });
  });

  return {
    issuer,
    caPem: tls.caPem,
    clientId,
    clientSecret,
    directory,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
