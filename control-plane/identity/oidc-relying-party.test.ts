// The per-tenant relying party against real OpenID Providers (oidc-provider) over real HTTPS with
// private CAs: the full browser-less code flow with PKCE, and every refusal by its code.
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followLogin, startTestIdp, type TestIdp } from '../../test/helpers/test-idp';
import {
  PENDING_LOGIN_TTL_MS,
  beginLogin,
  clearDiscoveryCache,
  closeOidcConnections,
  completeLogin,
  discover,
  OidcLoginError,
  type OidcLoginErrorCode,
  type PendingLogin,
  type TenantOidcSettings,
} from './oidc-relying-party';

const redirectUri = 'https://bulkhead.test/v1/auth/oidc/callback';
const secrets = {
  a: 'secret-of-tenant-a-client-0123456789',
  bAtA: 'secret-of-tenant-b-client-at-idp-a-9876',
  post: 'secret-of-the-post-client-5555555555',
  b: 'secret-of-tenant-b-client-4242424242',
  short: 'secret-of-the-short-ttl-client-777777',
};

const accounts = {
  alice: { email: 'alice@a.example', name: 'Alice A', groups: ['admins', 'ops'], tenant: 'tenant-a' },
  multi: { email: 'multi@a.example', name: 'Multi Tenant', groups: ['ops'], tenant: ['tenant-a', 'tenant-b'] },
  noclaim: { email: 'nobody@a.example', name: 'No Claim', groups: [] },
  bella: { email: 'bella@b.example', name: 'Bella B', groups: ['readers'], tenant: 'tenant-b' },
};

let idpA: TestIdp;
let idpB: TestIdp;
const refusals: OidcLoginError[] = [];

function settingsFor(idp: TestIdp, clientId: string, clientSecret: string, overrides: Partial<TenantOidcSettings> = {}): TenantOidcSettings {
  return { issuer: idp.issuer, clientId, clientSecret, claim: 'tenant', expectedClaimValue: 'tenant-a', groupsClaim: 'groups', ...overrides };
}

const tenantA = (): TenantOidcSettings => settingsFor(idpA, 'tenant-a-app', secrets.a);
const tenantB = (): TenantOidcSettings => settingsFor(idpB, 'tenant-b-app', secrets.b, { expectedClaimValue: 'tenant-b' });

async function loginThrough(idp: TestIdp, config: client.Configuration, account: string): Promise<{ callback: URL; pending: PendingLogin; url: URL }> {
  const { url, pending } = await beginLogin(config, redirectUri);
  idp.loginAs(account);
  const callback = await followLogin(url, idp.caPem);
  return { callback, pending, url };
}

/** Awaits an expected refusal, records it (for the secret check) and returns it. */
async function refusal(promise: Promise<unknown>, code: OidcLoginErrorCode): Promise<OidcLoginError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OidcLoginError) {
      refusals.push(error);
      expect(error.code, error.message).toBe(code);
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

beforeAll(async () => {
  [idpA, idpB] = await Promise.all([
    startTestIdp({
      clients: [
        { clientId: 'tenant-a-app', clientSecret: secrets.a, redirectUris: [redirectUri] },
        // Another tenant's client registered at the same IdP (for the audience test).
        { clientId: 'tenant-b-app', clientSecret: secrets.bAtA, redirectUris: [redirectUri] },
        { clientId: 'post-app', clientSecret: secrets.post, redirectUris: [redirectUri], tokenEndpointAuthMethod: 'client_secret_post' },
      ],
      accounts,
    }),
    startTestIdp({
      clients: [{ clientId: 'tenant-b-app', clientSecret: secrets.b, redirectUris: [redirectUri] }],
      accounts,
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([idpA.close(), idpB.close()]);
  await closeOidcConnections();
});

describe('discovery', () => {
  it('discovers over HTTPS with the pinned CA and caches the configuration', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    expect(config.serverMetadata().issuer).toBe(idpA.issuer);
    expect(config.serverMetadata().token_endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(await discover(tenantA(), { trustedCaPem: idpA.caPem })).toBe(config);
  });

  it('refuses an IdP whose certificate is not from the pinned CA (or with no CA pinned)', async () => {
    clearDiscoveryCache();
    const wrongCa = await refusal(discover(tenantA(), { trustedCaPem: idpB.caPem, timeoutMs: 5000 }), 'oidc_discovery_failed');
    expect(wrongCa.message).toContain(idpA.issuer);
    await refusal(discover(tenantA(), { timeoutMs: 5000 }), 'oidc_discovery_failed');
    await refusal(discover(settingsFor(idpA, 'tenant-a-app', secrets.a, { issuer: 'not a url' })), 'oidc_discovery_failed');
  });
});

describe('code flow with PKCE and nonce', () => {
  it('logs in: subject, email, name, groups from the ID token; PKCE S256 in the authorization URL', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending, url } = await loginThrough(idpA, config, 'alice');

    expect(url.origin).toBe(new URL(idpA.issuer).origin);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const challenge = url.searchParams.get('code_challenge');
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).not.toBe(pending.codeVerifier);
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(url.searchParams.get('nonce')).toBe(pending.nonce);
    expect(url.searchParams.get('client_id')).toBe('tenant-a-app');
    expect(url.searchParams.has('code_verifier')).toBe(false);

    expect(callback.origin + callback.pathname).toBe(redirectUri);
    expect(callback.searchParams.get('state')).toBe(pending.state);
    expect(callback.searchParams.get('code')).toBeTruthy();

    const identity = await completeLogin(config, tenantA(), callback, pending);
    expect(identity).toMatchObject({ subject: 'alice', email: 'alice@a.example', name: 'Alice A', groups: ['admins', 'ops'] });
    expect(identity.claims.iss).toBe(idpA.issuer);
    expect(identity.claims.aud).toBe('tenant-a-app');
    expect(identity.claims.nonce).toBe(pending.nonce);
    expect(identity.claims.tenant).toBe('tenant-a');
  });

  it('the IdP refuses the code exchange without (or with a wrong) PKCE verifier, then accepts the right one', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');

    const withoutVerifier = await client
      .authorizationCodeGrant(config, callback, { expectedState: pending.state, expectedNonce: pending.nonce })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(withoutVerifier).toBeInstanceOf(client.ResponseBodyError);
    expect(withoutVerifier).toMatchObject({ error: 'invalid_grant', status: 400 });

    const wrongVerifier = await refusal(
      completeLogin(config, tenantA(), callback, { ...pending, codeVerifier: client.randomPKCECodeVerifier() }),
      'oidc_token_rejected',
    );
    expect(wrongVerifier.message).toContain('invalid_grant');

    // The refusals were about the verifier: the same code still works with the right one.
    const identity = await completeLogin(config, tenantA(), callback, pending);
    expect(identity.subject).toBe('alice');
  });

  it('authenticates with client_secret_post when asked; a wrong secret → oidc_idp_error (invalid_client)', async () => {
    const settings = settingsFor(idpA, 'post-app', secrets.post);
    const config = await discover(settings, { trustedCaPem: idpA.caPem, clientAuthMethod: 'client_secret_post' });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');
    expect((await completeLogin(config, settings, callback, pending)).subject).toBe('alice');

    // A wrong client secret is refused by the IdP at the token endpoint (and never echoed).
    const wrongSecret = { ...settings, clientSecret: 'wrong-secret-for-post-app-31415926' };
    const bad = await discover(wrongSecret, { trustedCaPem: idpA.caPem, clientAuthMethod: 'client_secret_post' });
    const again = await loginThrough(idpA, bad, 'alice');
    const refused = await refusal(completeLogin(bad, wrongSecret, again.callback, again.pending), 'oidc_idp_error');
    expect(refused.message).toContain('invalid_client');
    expect(refused.message).not.toContain(wrongSecret.clientSecret);
  });
});

describe('refusals', () => {
  it('a callback with another state (or none) → oidc_state_mismatch', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');

    const forged = new URL(callback);
    forged.searchParams.set('state', client.randomState());
    await refusal(completeLogin(config, tenantA(), forged, pending), 'oidc_state_mismatch');

    const stateless = new URL(callback);
    stateless.searchParams.delete('state');
    await refusal(completeLogin(config, tenantA(), stateless, pending), 'oidc_state_mismatch');

    // Another login's pending state does not fit this callback either.
    const other = await beginLogin(config, redirectUri);
    await refusal(completeLogin(config, tenantA(), callback, other.pending), 'oidc_state_mismatch');
  });

  it('replaying a completed callback → oidc_token_rejected (code already used)', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');
    expect((await completeLogin(config, tenantA(), callback, pending)).subject).toBe('alice');
    const replay = await refusal(completeLogin(config, tenantA(), callback, pending), 'oidc_token_rejected');
    expect(replay.message).toContain('invalid_grant');
  });

  it('an expired authorization code → oidc_token_rejected', async () => {
    const idp = await startTestIdp({
      clients: [{ clientId: 'short-app', clientSecret: secrets.short, redirectUris: [redirectUri] }],
      accounts,
      ttlSeconds: { AuthorizationCode: 1 },
    });
    try {
      const settings = settingsFor(idp, 'short-app', secrets.short);
      const config = await discover(settings, { trustedCaPem: idp.caPem });
      const { callback, pending } = await loginThrough(idp, config, 'alice');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const expired = await refusal(completeLogin(config, settings, callback, pending), 'oidc_token_rejected');
      expect(expired.message).toContain('invalid_grant');
    } finally {
      await idp.close();
    }
  });

  it("wrong audience: another client's configuration at the same IdP cannot redeem tenant A's code", async () => {
    const configA = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, configA, 'alice');

    const otherClient = settingsFor(idpA, 'tenant-b-app', secrets.bAtA, { claim: null });
    const configOther = await discover(otherClient, { trustedCaPem: idpA.caPem });
    const refused = await refusal(completeLogin(configOther, otherClient, callback, pending), 'oidc_token_rejected');
    expect(refused.message).toContain('invalid_grant');

    // Tenant A's own configuration still redeems it: the refusal was about the client.
    expect((await completeLogin(configA, tenantA(), callback, pending)).subject).toBe('alice');
  });

  it("wrong issuer: tenant B's configuration (IdP B) refuses a callback produced by IdP A", async () => {
    const configA = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const configB = await discover(tenantB(), { trustedCaPem: idpB.caPem });
    const { callback, pending } = await loginThrough(idpA, configA, 'alice');
    expect(callback.searchParams.get('iss')).toBe(idpA.issuer);

    const refused = await refusal(completeLogin(configB, tenantB(), callback, pending), 'oidc_token_rejected');
    expect(refused.message).toMatch(/iss/);

    // Without the iss response parameter it is still refused (IdP B advertises that it sends it).
    const withoutIss = new URL(callback);
    withoutIss.searchParams.delete('iss');
    await refusal(completeLogin(configB, tenantB(), withoutIss, pending), 'oidc_token_rejected');

    // Nothing was consumed at IdP A: the login is still good for tenant A, and only there.
    expect((await completeLogin(configA, tenantA(), callback, pending)).subject).toBe('alice');
  });

  it("the ID token's own issuer check: A's ID token against metadata claiming issuer B → oidc_token_rejected", async () => {
    // A mix-up where the RP believes it talks to IdP B but the endpoints are IdP A's: the callback's
    // iss parameter is gone and not announced, so only the ID token's iss claim can catch it.
    const configA = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, configA, 'alice');
    const metadataOfA = configA.serverMetadata();
    const mixedUp = new client.Configuration(
      {
        issuer: idpB.issuer,
        authorization_endpoint: metadataOfA.authorization_endpoint,
        token_endpoint: metadataOfA.token_endpoint,
        jwks_uri: metadataOfA.jwks_uri,
        authorization_response_iss_parameter_supported: false,
      },
      'tenant-a-app',
      undefined,
      client.ClientSecretBasic(secrets.a),
    );
    const fetcher = configA[client.customFetch];
    expect(fetcher).toBeDefined();
    if (fetcher !== undefined) {
      mixedUp[client.customFetch] = fetcher;
    }
    const withoutIss = new URL(callback);
    withoutIss.searchParams.delete('iss');
    const refused = await refusal(completeLogin(mixedUp, tenantA(), withoutIss, pending), 'oidc_token_rejected');
    expect(refused.message).toMatch(/JWT "iss" \(issuer\) claim/);
  });

  it('an ID token whose nonce is not the pending login\'s → oidc_token_rejected', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');
    const refused = await refusal(completeLogin(config, tenantA(), callback, { ...pending, nonce: client.randomNonce() }), 'oidc_token_rejected');
    expect(refused.message).toMatch(/nonce/);
  });

  it("a tenant-A account logging in through a configuration expecting 'tenant-b' → oidc_wrong_tenant", async () => {
    const expectingB = settingsFor(idpA, 'tenant-a-app', secrets.a, { expectedClaimValue: 'tenant-b' });
    const config = await discover(expectingB, { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');
    const wrong = await refusal(completeLogin(config, expectingB, callback, pending), 'oidc_wrong_tenant');
    expect(wrong.message).toContain('tenant-b');

    // An account with no discriminator claim at all is refused too.
    const none = await loginThrough(idpA, config, 'noclaim');
    await refusal(completeLogin(config, expectingB, none.callback, none.pending), 'oidc_wrong_tenant');
  });

  it('a multi-valued discriminator claim is refused, whether or not it names the tenant; claim null skips the check', async () => {
    const expectingB = settingsFor(idpA, 'tenant-a-app', secrets.a, { expectedClaimValue: 'tenant-b' });
    const config = await discover(expectingB, { trustedCaPem: idpA.caPem });
    // ['tenant-a', 'tenant-b'] names tenant-b among others: an IdP vouching for several tenants at once opens none of them.
    const multi = await loginThrough(idpA, config, 'multi');
    await refusal(completeLogin(config, expectingB, multi.callback, multi.pending), 'oidc_wrong_tenant');
    // ...and for tenant-c, which it does not name at all.
    const expectingC = { ...expectingB, expectedClaimValue: 'tenant-c' };
    const lacking = await loginThrough(idpA, config, 'multi');
    await refusal(completeLogin(config, expectingC, lacking.callback, lacking.pending), 'oidc_wrong_tenant');

    const noDiscriminator = { ...expectingB, claim: null, groupsClaim: 'email' };
    const none = await loginThrough(idpA, config, 'noclaim');
    const anyone = await completeLogin(config, noDiscriminator, none.callback, none.pending);
    expect(anyone.subject).toBe('noclaim');
    // A groups claim that is not an array of strings yields no groups.
    expect(anyone.groups).toEqual([]);
  });

  it('a tenant B login at IdP B works for tenant B and its callback is refused by tenant A', async () => {
    const configB = await discover(tenantB(), { trustedCaPem: idpB.caPem });
    const configA = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpB, configB, 'bella');
    await refusal(completeLogin(configA, tenantA(), callback, pending), 'oidc_token_rejected');
    const identity = await completeLogin(configB, tenantB(), callback, pending);
    expect(identity).toMatchObject({ subject: 'bella', email: 'bella@b.example', groups: ['readers'] });
    expect(identity.claims.iss).toBe(idpB.issuer);
  });

  it('a pending login older than 10 minutes → oidc_login_expired (before any exchange)', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { callback, pending } = await loginThrough(idpA, config, 'alice');
    await refusal(completeLogin(config, tenantA(), callback, pending, pending.createdAt + PENDING_LOGIN_TTL_MS + 1), 'oidc_login_expired');
    // The code was not spent by the refused attempt.
    expect((await completeLogin(config, tenantA(), callback, pending)).subject).toBe('alice');
  });

  it('the IdP answering error=access_denied → oidc_idp_error', async () => {
    const config = await discover(tenantA(), { trustedCaPem: idpA.caPem });
    const { url, pending } = await beginLogin(config, redirectUri);
    idpA.denyNextLogin();
    const callback = await followLogin(url, idpA.caPem);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(pending.state);
    const denied = await refusal(completeLogin(config, tenantA(), callback, pending), 'oidc_idp_error');
    expect(denied.message).toContain('access_denied');
  });

  it('no client secret appears in any refusal', () => {
    expect(refusals.length).toBeGreaterThanOrEqual(15);
    const codes = new Set(refusals.map((error) => error.code));
    expect([...codes].sort()).toEqual([
      'oidc_discovery_failed',
      'oidc_idp_error',
      'oidc_login_expired',
      'oidc_state_mismatch',
      'oidc_token_rejected',
      'oidc_wrong_tenant',
    ]);
    for (const error of refusals) {
      const text = `${error.message}\n${String(error.stack)}\n${JSON.stringify(error)}`;
      for (const secret of Object.values(secrets)) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
