// Per-tenant OpenID Connect relying party: authorization code + PKCE (S256) + nonce + state against
// the tenant's own IdP, with openid-client doing the protocol and JOSE checks and this module adding
// the tenant discriminator, the pending-login lifetime and one error type with stable codes.
// Node only: no HTTP framework here; the tenant-plane routes keep PendingLogin server side.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';

export interface TenantOidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** claim that must name the tenant, e.g. 'tenant'; null = no discriminator */
  claim: string | null;
  /** the value that claim must carry, normally the tenant slug */
  expectedClaimValue: string;
  /** claim holding the user's groups; normally 'groups' */
  groupsClaim: string;
}

/** What the relying party keeps (server side) between beginLogin and completeLogin. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  createdAt: number;
}

export interface OidcIdentity {
  subject: string;
  email: string | null;
  name: string | null;
  groups: string[];
  claims: Record<string, unknown>;
}

export type OidcLoginErrorCode =
  | 'oidc_discovery_failed'
  | 'oidc_state_mismatch'
  | 'oidc_login_expired'
  | 'oidc_token_rejected'
  | 'oidc_wrong_tenant'
  | 'oidc_idp_error';

/** Every failure of this module. Messages never carry the client secret, codes or tokens. */
export class OidcLoginError extends Error {
  override readonly name = 'OidcLoginError';
  readonly code: OidcLoginErrorCode;

  constructor(code: OidcLoginErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface DiscoverOptions {
  /** PEM of the CA(s) to trust for the IdP's TLS certificate instead of the system store. */
  trustedCaPem?: string;
  /** Per-request timeout for discovery and every later request of the configuration (default 10 s). */
  timeoutMs?: number;
  /** How the client authenticates at the token endpoint (default client_secret_basic). */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

/** A pending login older than this is refused before the code is even exchanged. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
/** Discovered configurations are reused for this long. */
export const DISCOVERY_CACHE_TTL_MS = 5 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_DETAIL_LENGTH = 200;

// ---------------------------------------------------------------------------------------------
// HTTP: undici with an optional pinned CA, one keep-alive agent per trust store.

const agents = new Map<string, Agent>();

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function agentFor(trustedCaPem: string | undefined): Agent {
  const key = trustedCaPem === undefined ? 'system' : sha256(trustedCaPem);
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = trustedCaPem === undefined ? new Agent() : new Agent({ connect: { ca: trustedCaPem } });
    agents.set(key, agent);
  }
  return agent;
}

function pinnedFetch(trustedCaPem: string | undefined): client.CustomFetch {
  const dispatcher = agentFor(trustedCaPem);
  return async (url, options) => {
    const body = options.body;
    if (body instanceof ReadableStream) {
      // openid-client sends form bodies and strings; a stream never reaches this point.
      throw new TypeError('streamed request bodies are not supported');
    }
    const response = await undiciFetch(url, {
      method: options.method,
      headers: options.headers,
      body: body ?? null,
      redirect: options.redirect,
      signal: options.signal ?? null,
      dispatcher,
    });
    // undici's Response is the Fetch API Response Node itself ships; only the declarations differ.
    return response as unknown as Response;
  };
}

// ---------------------------------------------------------------------------------------------
// Discovery, cached per issuer + client (+ secret, trust store and auth method, so a changed
// setting never reuses a stale configuration).

interface CacheEntry {
  expiresAt: number;
  configuration: Promise<client.Configuration>;
}

const discoveryCache = new Map<string, CacheEntry>();

/** Forgets every cached discovery (tests, or after a tenant changes its IdP settings). */
export function clearDiscoveryCache(): void {
  discoveryCache.clear();
}

/** Closes the keep-alive connections this module opened (process shutdown, tests). */
export async function closeOidcConnections(): Promise<void> {
  const open = [...agents.values()];
  agents.clear();
  await Promise.all(open.map((agent) => agent.close()));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return 'unknown error';
  }
  const parts = [error.message];
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 3 && cause instanceof Error; depth += 1) {
    if (!parts.includes(cause.message)) {
      parts.push(cause.message);
    }
    cause = cause.cause;
  }
  const text = parts.join(': ');
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text;
}

async function performDiscovery(settings: TenantOidcSettings, options: DiscoverOptions): Promise<client.Configuration> {
  let issuer: URL;
  try {
    issuer = new URL(settings.issuer);
  } catch {
    throw new OidcLoginError('oidc_discovery_failed', `OIDC issuer is not a valid URL: ${JSON.stringify(settings.issuer.slice(0, 100))}`);
  }
  const clientAuth =
    options.clientAuthMethod === 'client_secret_post'
      ? client.ClientSecretPost(settings.clientSecret)
      : client.ClientSecretBasic(settings.clientSecret);
  const timeoutSeconds = Math.max(1, Math.ceil((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000));
  try {
    return await client.discovery(issuer, settings.clientId, undefined, clientAuth, {
      [client.customFetch]: pinnedFetch(options.trustedCaPem),
      timeout: timeoutSeconds,
    });
  } catch (error) {
    throw new OidcLoginError('oidc_discovery_failed', `OIDC discovery failed for issuer ${issuer.href}: ${describe(error)}`);
  }
}

/** Discovers the tenant's IdP (cached for a few minutes) and returns a configuration for its client. */
export async function discover(settings: TenantOidcSettings, options: DiscoverOptions = {}, now = Date.now()): Promise<client.Configuration> {
  const key = [
    settings.issuer,
    settings.clientId,
    sha256(settings.clientSecret),
    options.trustedCaPem === undefined ? '' : sha256(options.trustedCaPem),
    options.clientAuthMethod ?? 'client_secret_basic',
    String(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  ].join('\n');
  const cached = discoveryCache.get(key);
  if (cached !== undefined && cached.expiresAt > now) {
    return cached.configuration;
  }
  const entry: CacheEntry = { expiresAt: now + DISCOVERY_CACHE_TTL_MS, configuration: performDiscovery(settings, options) };
  discoveryCache.set(key, entry);
  try {
    return await entry.configuration;
  } catch (error) {
    // Failures are not cached: the next login tries again.
    if (discoveryCache.get(key) === entry) {
      discoveryCache.delete(key);
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The login itself.

/** Starts a login: the URL to send the browser to, and what to keep until the callback. */
export async function beginLogin(
  config: client.Configuration,
  redirectUri: string,
  scope = 'openid email profile',
  now = Date.now(),
): Promise<{ url: URL; pending: PendingLogin }> {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const url = client.buildAuthorizationUrl(config, {
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  });
  return { url, pending: { state, nonce, codeVerifier, redirectUri, createdAt: now } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  if (isRecord(error) || error instanceof Error) {
    const code: unknown = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

const NETWORK_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);

/** Maps whatever openid-client (or the network) threw during the exchange to one of our codes. */
function toLoginError(error: unknown): OidcLoginError {
  if (error instanceof OidcLoginError) {
    return error;
  }
  if (error instanceof client.ResponseBodyError) {
    const detail = error.error_description === undefined ? error.error : `${error.error}: ${error.error_description}`;
    const trimmed = detail.slice(0, MAX_DETAIL_LENGTH);
    if (error.error === 'invalid_grant') {
      return new OidcLoginError('oidc_token_rejected', `The identity provider rejected the authorization code (expired, already used or issued to another client) (${trimmed})`);
    }
    return new OidcLoginError('oidc_idp_error', `The identity provider refused the token request (${trimmed})`);
  }
  if (error instanceof client.AuthorizationResponseError) {
    return new OidcLoginError('oidc_idp_error', `The identity provider answered with an error (${error.error})`);
  }
  const code = errorCode(error);
  if ((code !== undefined && NETWORK_CODES.has(code)) || (error instanceof TypeError && !(error instanceof client.ClientError))) {
    return new OidcLoginError('oidc_idp_error', `The identity provider could not be reached for the token exchange: ${describe(error)}`);
  }
  // Issuer, audience, nonce, signature, timestamps, iss response parameter, malformed responses.
  return new OidcLoginError('oidc_token_rejected', `The identity provider's response was rejected: ${describe(error)}`);
}

/**
 * The tenant claim must name this tenant and nothing else: a single string. An array (even one that
 * contains the tenant) means the IdP vouches for several tenants at once, and a token minted for one
 * of them must not open another; a missing claim names no tenant.
 */
function claimNamesTenant(value: unknown, expected: string): boolean {
  return typeof value === 'string' && value === expected;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return [...value];
  }
  return [];
}

/**
 * Completes a login from the callback URL (as the browser reached it) and the pending login kept
 * since beginLogin. Checks, in order: pending-login age, state, an IdP error response, then the code
 * exchange (PKCE verifier, ID token issuer/audience/signature/nonce via openid-client), then the
 * tenant discriminator claim.
 */
export async function completeLogin(
  config: client.Configuration,
  settings: TenantOidcSettings,
  callbackUrl: URL,
  pending: PendingLogin,
  now = Date.now(),
): Promise<OidcIdentity> {
  if (now - pending.createdAt > PENDING_LOGIN_TTL_MS) {
    throw new OidcLoginError('oidc_login_expired', 'The login took longer than 10 minutes; start it again');
  }
  const returnedState = callbackUrl.searchParams.get('state');
  if (returnedState !== pending.state) {
    throw new OidcLoginError(
      'oidc_state_mismatch',
      returnedState === null ? 'The callback carries no state parameter' : 'The callback state does not match this login',
    );
  }
  const idpError = callbackUrl.searchParams.get('error');
  if (idpError !== null) {
    const description = callbackUrl.searchParams.get('error_description');
    const detail = (description === null ? idpError : `${idpError}: ${description}`).slice(0, MAX_DETAIL_LENGTH);
    throw new OidcLoginError('oidc_idp_error', `The identity provider refused the login (${detail})`);
  }

  // The redirect_uri sent with the code must be the one of the authorization request, whatever
  // host or scheme the HTTP layer reconstructed the callback URL with.
  const current = new URL(pending.redirectUri);
  current.search = callbackUrl.search;
  current.hash = '';

  let claims: Record<string, unknown>;
  try {
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims();
    if (idToken === undefined) {
      throw new OidcLoginError('oidc_token_rejected', 'The identity provider returned no ID token');
    }
    claims = { ...idToken };
  } catch (error) {
    throw toLoginError(error);
  }

  if (settings.claim !== null && !claimNamesTenant(claims[settings.claim], settings.expectedClaimValue)) {
    throw new OidcLoginError(
      'oidc_wrong_tenant',
      `The ID token's "${settings.claim}" claim does not name tenant ${JSON.stringify(settings.expectedClaimValue)}`,
    );
  }
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new OidcLoginError('oidc_token_rejected', 'The ID token has no subject');
  }
  return {
    subject,
    email: stringOrNull(claims.email),
    name: stringOrNull(claims.name),
    groups: groupsOf(claims[settings.groupsClaim]),
    claims,
  };
}
