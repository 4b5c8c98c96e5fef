import { z } from 'zod';
import { ErrorBody, type ErrorCode } from './errors';
import {
  ChangePasswordRequest,
  ConfirmEnrollmentRequest,
  CreatedOperator,
  CreateOperatorRequest,
  EnrollmentCredentials,
  LoginRequest,
  Operator,
  Password,
  RecoveryCodesView,
  RegenerateRecoveryCodesRequest,
  ReplaceTotpRequest,
  ConfirmTotpReplacementRequest,
  TotpReplacement,
  Username,
} from './operators';
import { ReadyView, Timestamp, Uuid } from './common';
import { AuditQuery, LedgerEntryView, LedgerVerifyView, WitnessView } from './audit';
import { BreakGlassRequestView, BreakGlassScope, BreakGlassState, CreateBreakGlassRequest } from './break-glass';
import { FlowEventView, FlowsQuery, ResultsQuery, SummaryResponse, TelemetryResult, TelemetryWindowQuery } from './telemetry';
import { FairnessWhatIf, FairnessWhatIfQuery, PutFairnessRequest, TenantFairness } from './fairness';
import { OidcView, PutOidcRequest } from './identity';
import { LicenseView } from './license';
import { PutBrandingRequest, TenantBranding } from './branding';
import { SimulatorRunView, SimulatorStartRequest } from './simulation';
import { AdminTokenRequest, AdminTokenResponse, CreateTenantRequest, PatchTenantRequest, Quotas, ReplicaList, Tenant, TenantState, TenantSummaryPage, TenantSummaryQuery } from './tenants';

/**
 * The console's IPC contract: one map of `domain:verb` channels, each with a request schema
 * and a response schema. The main process validates every request with it, the preload and the
 * browser-mode client are generated from it, and the renderer validates every response with it.
 */
const Empty = z.strictObject({});

/**
 * The active control plane's state. `crashed` (embedded only): it stopped after it was ready and is
 * restarted with back-off at `retry_at`; `restarting`: that restart is under way. `failed`: it did
 * not start (or a remote one cannot be reached) and waits for `controlplane:retry`.
 */
export const ControlPlaneStatus = z.strictObject({
  kind: z.enum(['embedded', 'remote']),
  url: z.string().nullable(),
  state: z.enum(['starting', 'ready', 'setup_required', 'failed', 'crashed', 'restarting']),
  message: z.string().nullable(),
  /** Which connection this is the status of (see `connections:list`). */
  connection_id: z.string().optional(),
  /** `crashed`: when the next restart is attempted. */
  retry_at: Timestamp.nullable().optional(),
  /** Restarts after crashes in a row (reset once it has run steadily). */
  restarts: z.number().int().min(0).optional(),
});
export type ControlPlaneStatus = z.infer<typeof ControlPlaneStatus>;

export const AppInfo = z.strictObject({
  version: z.string(),
  mode: z.enum(['electron', 'browser']),
  control_plane: ControlPlaneStatus,
});
export type AppInfo = z.infer<typeof AppInfo>;

export const SessionStatus = z.strictObject({
  signed_in: z.boolean(),
  operator: Operator.nullable(),
  expires_at: Timestamp.nullable(),
});
export type SessionStatus = z.infer<typeof SessionStatus>;

export const SetupRequest = z.strictObject({ username: Username, password: Password });
export const SetupResult = z.strictObject({ username: z.string(), otpauth_uri: z.string().startsWith('otpauth://totp/'), secret: z.string() });
export type SetupResult = z.infer<typeof SetupResult>;

/** Enrollment confirmed: the operator is signed in, and its recovery codes are shown this once. */
export const EnrolledStatus = z.strictObject({ session: SessionStatus, recovery_codes: RecoveryCodesView.shape.recovery_codes });
export type EnrolledStatus = z.infer<typeof EnrolledStatus>;

/**
 * The idle lock: the main process drops the session after this long without a call from the
 * renderer. `source`: where the value comes from; one set by a launch flag cannot be changed here.
 */
export const IdleLockView = z.strictObject({
  idle_lock_seconds: z.number().int().min(1),
  source: z.enum(['default', 'settings', 'flag']),
});
export type IdleLockView = z.infer<typeof IdleLockView>;
export const IDLE_LOCK_MINUTES = { min: 1, max: 720, default: 15 } as const;
export const ConfigureIdleLock = z.strictObject({ idle_lock_minutes: z.number().int().min(IDLE_LOCK_MINUTES.min).max(IDLE_LOCK_MINUTES.max) });

const OperatorRef = z.strictObject({ id: Uuid });

/** A lifecycle action on one tenant (`tenant` = id or slug) with the reason the ledger records. */
const TenantAction = z.strictObject({ tenant: z.string().min(1).max(200), reason: z.string().trim().min(1).max(1000) });

// ---- Connections (#18): the embedded control plane and remote ones, each with its own session ----

export const EMBEDDED_CONNECTION_ID = 'embedded';
export const ConnectionId = z.string().regex(/^(embedded|c_[a-z0-9]{12,32})$/, 'a connection id');

/** A SHA-256 certificate fingerprint: 64 hex digits, colons and spaces allowed (as openssl and browsers print it). */
export const CertificateFingerprint = z
  .string()
  .max(200)
  .transform((value) => value.replace(/[\s:]/g, '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 fingerprint: 64 hex digits (colons allowed)'));

/** The control plane's origin: https, no credentials, no path, query or fragment. */
export const ControlPlaneUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && url.username === '' && url.password === '' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
    } catch {
      return false;
    }
  }, 'an https:// address such as https://cp.example.net:8443, without a path')
  .transform((value) => new URL(value).origin);

/** How a remote control plane is trusted: its CA certificate (PEM) or one certificate's SHA-256 fingerprint. */
const RemoteTarget = z.strictObject({
  url: ControlPlaneUrl,
  ca_pem: z.string().max(65_536).optional(),
  fingerprint: CertificateFingerprint.optional(),
});
const exactlyOnePin = (value: { ca_pem?: string | undefined; fingerprint?: string | undefined }, context: z.RefinementCtx) => {
  if ((value.ca_pem === undefined) === (value.fingerprint === undefined)) {
    context.addIssue({ code: 'custom', path: ['ca_pem'], message: 'give the CA certificate or a SHA-256 fingerprint, one of the two' });
  }
};
export const RemoteConnectionRequest = RemoteTarget.extend({ name: z.string().trim().min(1).max(64) }).superRefine(exactlyOnePin);
export type RemoteConnectionRequest = z.infer<typeof RemoteConnectionRequest>;
export const ConnectionTestRequest = z.union([z.strictObject({ id: ConnectionId }), RemoteTarget.superRefine(exactlyOnePin)]);

export const ConnectionView = z.strictObject({
  id: ConnectionId,
  kind: z.enum(['embedded', 'remote']),
  name: z.string(),
  url: z.string().nullable(),
  /** What is pinned: the embedded CA, a CA certificate given for a remote, or a fingerprint. */
  trust: z.enum(['embedded', 'ca', 'fingerprint']),
  /** SHA-256 of the pinned CA certificate, or the pinned fingerprint. */
  fingerprint: z.string().nullable(),
  /** Embedded only: the deployment key sealed by the OS keychain, or kept in a 0600 file. */
  key_protection: z.enum(['os_keychain', 'file']).nullable(),
  active: z.boolean(),
  /** This connection's own operator session (the token never leaves the main process). */
  session: z.strictObject({ signed_in: z.boolean(), username: z.string().nullable() }),
  status: ControlPlaneStatus,
});
export type ConnectionView = z.infer<typeof ConnectionView>;

const CertificateView = z.strictObject({ subject: z.string(), issuer: z.string(), fingerprint: z.string(), valid_to: z.string() });
export const ConnectionTestResult = z.strictObject({
  url: z.string(),
  /** Which pin matched: the CA given (or embedded), or a fingerprint of the leaf or of a CA in its chain. */
  matched: z.enum(['ca', 'leaf_fingerprint', 'ca_fingerprint']),
  /** The chain the server presented, leaf first. */
  chain: z.array(CertificateView),
});
export type ConnectionTestResult = z.infer<typeof ConnectionTestResult>;

const connectionChannels = {
  'connections:list': { request: Empty, response: z.strictObject({ items: z.array(ConnectionView) }) },
  'connections:add': { request: RemoteConnectionRequest, response: ConnectionView },
  'connections:remove': { request: z.strictObject({ id: ConnectionId }), response: z.strictObject({ removed: z.literal(true) }) },
  /** Makes a connection the active one; answers that connection's session (signed out if it has none). */
  'connections:switch': { request: z.strictObject({ id: ConnectionId }), response: SessionStatus },
  'connections:test': { request: ConnectionTestRequest, response: ConnectionTestResult },
  /** "Check again": restarts the embedded control plane now, or checks a remote one again. */
  'controlplane:retry': { request: Empty, response: ControlPlaneStatus },
} as const;

// ---- end of connections ----

// ---- A tenant's screens (#21): the tenants table and a tenant's page ----

/** `tenant`: the id or slug. Every other field is the HTTP body's own, so an API error's field path is the form's. */
const TenantRef = z.string().min(1).max(200);
const OnTenant = z.strictObject({ tenant: TenantRef });

const tenantScreenChannels = {
  /** The tenants table: a page of summaries (counts and rates, never telemetry content). */
  'tenants:summaries': { request: TenantSummaryQuery.omit({ limit: true }).extend({ limit: z.number().int().min(1).max(1000).optional() }), response: TenantSummaryPage },
  'tenants:get': { request: OnTenant, response: Tenant },
  /** Name, plan, contact (null clears plan and contact). */
  'tenants:update': { request: PatchTenantRequest.omit({ slug: true }).extend({ tenant: TenantRef }), response: Tenant },
  'quotas:set': { request: Quotas.extend({ tenant: TenantRef }), response: Quotas },
  'fairness:get': { request: OnTenant, response: TenantFairness },
  'fairness:set': { request: PutFairnessRequest.extend({ tenant: TenantRef }), response: TenantFairness },
  /** The tenant's IdP during onboarding; the client secret goes in and never comes back. */
  'identity:set-oidc': { request: PutOidcRequest.extend({ tenant: TenantRef }), response: OidcView },
  /** An onboarding (tenant-admin) token, shown once. */
  'tenants:admin-token': { request: AdminTokenRequest.extend({ tenant: TenantRef }), response: AdminTokenResponse },
  /** The provider ledger, newest first, filtered by tenant and event type. */
  'audit:list': {
    request: AuditQuery.omit({ limit: true }).extend({ limit: z.number().int().min(1).max(1000).optional() }),
    response: z.strictObject({ items: z.array(LedgerEntryView), next_cursor: z.string().nullable() }),
  },
} as const;

// ---- end of a tenant's screens ----

// ---- Console tabs (#21): a tenant's Branding and Usage tabs, provider-wide Usage and License ----

/** A UTC calendar day (YYYY-MM-DD), as the usage routes take it; the control plane checks the period. */
const UsageDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD').optional();

/**
 * A file the main process saved (to the folder the operator picked in a save dialog, or browser
 * mode's downloads folder). The renderer only learns the file's name, never chooses a path.
 */
export const SavedFile = z.union([
  z.strictObject({ saved: z.literal(true), filename: z.string(), bytes: z.number().int().min(0) }),
  z.strictObject({ saved: z.literal(false) }),
]);
export type SavedFile = z.infer<typeof SavedFile>;

/** A license file as text (JSON, as the vendor ships it). */
export const LICENSE_TEXT_MAX = 16 * 1024;

const consoleTabChannels = {
  'branding:get': { request: OnTenant, response: TenantBranding },
  /** Replaces the tenant's brand; every value is checked again by the control plane (invalid_branding names the field). */
  'branding:set': { request: PutBrandingRequest.extend({ tenant: TenantRef }), response: TenantBranding },
  /** The usage export (every tenant, or one) for a period, saved to a file by the main process. */
  'usage:export': { request: z.strictObject({ format: z.enum(['csv', 'json']), tenant: TenantRef.optional(), from: UsageDay, to: UsageDay }), response: SavedFile },
  /** A tenant's PDF usage report for a period, saved to a file by the main process. */
  'usage:report': { request: z.strictObject({ tenant: TenantRef, from: UsageDay, to: UsageDay }), response: SavedFile },
  /** Replaces the license file (provider admins): a license that does not verify is refused with its code. */
  'license:replace': { request: z.strictObject({ license: z.string().min(1).max(LICENSE_TEXT_MAX) }), response: LicenseView },
} as const;

// ---- end of console tabs ----
// ---- The simulator panel (#21): one run at a time, in a child process of the main process ----

const simulatorChannels = {
  /** Starts a scenario against the active connection with its operator's session; refused while one runs. */
  'simulator:start': { request: SimulatorStartRequest, response: SimulatorRunView },
  /** Ends the running scenario's process (its tenants stay, as a stopped CLI run's would). */
  'simulator:stop': { request: Empty, response: SimulatorRunView },
  /** The current (or last) run: progress, per-tenant rates, the report. Polled by the panel. */
  'simulator:status': { request: Empty, response: SimulatorRunView },
  /** The Quotas & Fairness tab's what-if: the tenant's recent traffic replayed under limits not yet saved. */
  'fairness:what-if': { request: z.strictObject({ tenant: TenantRef, rate: FairnessWhatIfQuery.shape.rate, burst: FairnessWhatIfQuery.shape.burst, seconds: z.number().int().min(10).max(3600).optional() }), response: FairnessWhatIf },
} as const;

// ---- end of the simulator panel ----
// ---- Break-glass and the audit proof on a tenant's page, the fairness overview and replicas (#21) ----

/**
 * A grant the console holds for one break-glass request. Its `bhg_` token stays in the main
 * process: the renderer learns only that a grant is held, its scope and when it ends.
 */
export const HeldGrant = z.strictObject({ request_id: Uuid, tenant_id: Uuid, scope: z.array(BreakGlassScope), expires_at: Timestamp });
export type HeldGrant = z.infer<typeof HeldGrant>;
export const BreakGlassStatus = z.strictObject({ request: BreakGlassRequestView, grant: HeldGrant.nullable() });
export type BreakGlassStatus = z.infer<typeof BreakGlassStatus>;
const OnRequest = z.strictObject({ id: Uuid });
/** A telemetry read through the held grant of request `request_id`; the rest is the route's own query. */
const GrantRead = z.strictObject({ request_id: Uuid });

/** The console's check of an entry's RFC 6962 inclusion proof (done in the main process, not by the control plane). */
export const InclusionCheck = z.strictObject({
  seq: z.number().int().min(1),
  leaf_hash: z.string(),
  tree_size: z.number().int().min(1),
  root: z.string(),
  audit_path_length: z.number().int().min(0),
  /** Whether the audit path leads from the entry's leaf hash to the root. */
  included: z.boolean(),
  /** Why not, when not. */
  reason: z.string().nullable(),
});
export type InclusionCheck = z.infer<typeof InclusionCheck>;

const breakGlassChannels = {
  /** A tenant's break-glass requests, newest first, each with the grant this console holds for it. */
  'breakglass:list': { request: z.strictObject({ tenant: TenantRef, state: BreakGlassState.optional() }), response: z.strictObject({ items: z.array(BreakGlassStatus) }) },
  'breakglass:open': { request: CreateBreakGlassRequest, response: BreakGlassStatus },
  'breakglass:get': { request: OnRequest, response: BreakGlassStatus },
  /** Activates an approved request: the main process keeps the grant token, the renderer gets its scope and end. */
  'breakglass:activate': { request: OnRequest, response: BreakGlassStatus },
  /** Telemetry, only through a grant this console holds and the control plane still honours; every read is ledgered. */
  'telemetry:results': { request: ResultsQuery.extend({ limit: z.number().int().min(1).max(1000).optional(), ...GrantRead.shape }), response: z.strictObject({ items: z.array(TelemetryResult), next_cursor: z.string().nullable() }) },
  'telemetry:flows': { request: FlowsQuery.extend({ limit: z.number().int().min(1).max(1000).optional(), ...GrantRead.shape }), response: z.strictObject({ items: z.array(FlowEventView), next_cursor: z.string().nullable() }) },
  'telemetry:summary': { request: TelemetryWindowQuery.extend(GrantRead.shape), response: SummaryResponse },
  /** Fetches entry `seq`'s inclusion proof from the provider ledger and checks it here, against the leaf hash the list showed. */
  'audit:prove': { request: z.strictObject({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), leaf_hash: z.string().regex(/^[0-9a-f]{64}$/) }), response: InclusionCheck },
  /** Every live tenant's fairness limits, counters and write lane, a page at a time (provider-wide overview). */
  'fairness:overview': {
    request: z.strictObject({ limit: z.number().int().min(1).max(1000).optional(), cursor: z.string().max(512).optional() }),
    response: z.strictObject({ items: z.array(TenantFairness), next_cursor: z.string().nullable() }),
  },
  /** The live replicas sharing the control plane's data, and its storage (one replica is all SQLite has). */
  'replicas:list': { request: Empty, response: ReplicaList.extend({ storage: ReadyView.shape.storage }) },
} as const;

// ---- end of break-glass, the audit proof, the fairness overview and replicas ----
// ---- Witnessing the provider ledger (#25): the console keeps the last head it saw ----

const witnessChannels = {
  /** Fetches the provider ledger's signed head, checks it against the head kept for this connection, keeps it when it checks. */
  'audit:witness': { request: Empty, response: WitnessView },
} as const;

// ---- end of witnessing ----

export const ipcChannels = {
  'app:info': { request: Empty, response: AppInfo },
  'setup:enroll': { request: SetupRequest, response: SetupResult },
  'session:status': { request: Empty, response: SessionStatus },
  'session:login': { request: LoginRequest, response: SessionStatus },
  'session:logout': { request: Empty, response: SessionStatus },
  'license:get': { request: Empty, response: LicenseView },
  'tenants:list': {
    request: z.strictObject({ state: TenantState.optional(), limit: z.number().int().min(1).max(1000).optional(), cursor: z.string().max(512).optional() }),
    response: z.strictObject({ items: z.array(Tenant), next_cursor: z.string().nullable() }),
  },
  'tenants:create': { request: CreateTenantRequest, response: Tenant },
  'tenants:suspend': { request: TenantAction, response: Tenant },
  'tenants:resume': { request: TenantAction, response: Tenant },
  'tenants:delete': { request: z.strictObject({ tenant: z.string().min(1).max(200) }), response: z.strictObject({ deleted: z.literal(true) }) },
  'audit:verify': { request: Empty, response: LedgerVerifyView },
  ...connectionChannels,
  ...tenantScreenChannels,
  ...consoleTabChannels,
  ...simulatorChannels,
  ...breakGlassChannels,
  ...witnessChannels,
  // Operators and the signed-in operator's account (#18)
  /** A pending operator's enrollment (sign-in answered enrollment_required): the secret, for the QR code. */
  'enrollment:start': { request: EnrollmentCredentials, response: SetupResult },
  /** A first code finishes enrollment (first run or a new operator): signed in, recovery codes shown once. */
  'enrollment:confirm': { request: ConfirmEnrollmentRequest, response: EnrolledStatus },
  /** The signed-in operator, fresh from the control plane (recovery codes left). */
  'account:get': { request: Empty, response: Operator },
  'account:password': { request: ChangePasswordRequest, response: z.strictObject({ changed: z.literal(true) }) },
  'account:recovery-codes': { request: RegenerateRecoveryCodesRequest, response: RecoveryCodesView },
  /** A new authenticator (password first); the old one works until `account:totp-confirm`. */
  'account:totp-start': { request: ReplaceTotpRequest, response: TotpReplacement },
  'account:totp-confirm': { request: ConfirmTotpReplacementRequest, response: z.strictObject({ replaced: z.literal(true) }) },
  'operators:list': { request: Empty, response: z.strictObject({ items: z.array(Operator) }) },
  'operators:create': { request: CreateOperatorRequest, response: CreatedOperator },
  'operators:remove': { request: OperatorRef, response: z.strictObject({ removed: z.literal(true) }) },
  'operators:reset-totp': { request: OperatorRef, response: Operator },
  'lock:settings': { request: Empty, response: IdleLockView },
  'lock:configure': { request: ConfigureIdleLock, response: IdleLockView },
} as const satisfies Record<`${string}:${string}`, { request: z.ZodType; response: z.ZodType }>;

/** Main → renderer events. */
export const ipcEvents = {
  'session:changed': SessionStatus,
  'controlplane:status': ControlPlaneStatus,
  // Operators and the signed-in operator's account (#18): the session was dropped after this long idle.
  'session:locked': z.strictObject({ reason: z.literal('idle'), idle_lock_seconds: z.number().int().min(1) }),
} as const satisfies Record<`${string}:${string}`, z.ZodType>;

export type IpcChannel = keyof typeof ipcChannels;
export type IpcEvent = keyof typeof ipcEvents;
export type IpcRequest<C extends IpcChannel> = z.input<(typeof ipcChannels)[C]['request']>;
export type IpcParsedRequest<C extends IpcChannel> = z.output<(typeof ipcChannels)[C]['request']>;
export type IpcResponse<C extends IpcChannel> = z.output<(typeof ipcChannels)[C]['response']>;
export type IpcEventPayload<E extends IpcEvent> = z.output<(typeof ipcEvents)[E]>;

/** What crosses the wire for every call: a result or an error, never a thrown exception. */
export type IpcEnvelope<T> = { result: T } | { error: ErrorBody };

export const ipcChannelNames = Object.keys(ipcChannels) as IpcChannel[];
export const ipcEventNames = Object.keys(ipcEvents) as IpcEvent[];

export function isIpcChannel(value: unknown): value is IpcChannel {
  return typeof value === 'string' && Object.hasOwn(ipcChannels, value);
}

export function isIpcEvent(value: unknown): value is IpcEvent {
  return typeof value === 'string' && Object.hasOwn(ipcEvents, value);
}

export function ipcError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): { error: ErrorBody } {
  return { error: { code, message, details } };
}

/** Validates an incoming request for `channel`: the parsed payload, or an `invalid_request` envelope. */
export function parseIpcRequest<C extends IpcChannel>(
  channel: C,
  payload: unknown,
): { ok: true; value: IpcParsedRequest<C> } | { ok: false; error: ErrorBody } {
  const parsed = ipcChannels[channel].request.safeParse(payload ?? {});
  if (parsed.success) {
    return { ok: true, value: parsed.data as IpcParsedRequest<C> };
  }
  return {
    ok: false,
    error: {
      code: 'invalid_request',
      message: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '),
      details: { issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) },
    },
  };
}

/** Validates a response envelope the renderer received: anything off-contract becomes an error. */
export function parseIpcEnvelope<C extends IpcChannel>(channel: C, envelope: unknown): IpcEnvelope<IpcResponse<C>> {
  const shape = z.union([z.strictObject({ result: ipcChannels[channel].response }), z.strictObject({ error: ErrorBody })]);
  const parsed = shape.safeParse(envelope);
  if (parsed.success) {
    return parsed.data as IpcEnvelope<IpcResponse<C>>;
  }
  return ipcError('internal_error', `The console answered ${channel} outside its contract.`);
}

type Domain<C extends string> = C extends `${infer D}:${string}` ? D : never;
type VerbOf<C extends string, D extends string> = C extends `${D}:${infer V}` ? V : never;

/** `window.bulkhead`: `bridge.session.login(request)` for channel `session:login`, and `on(event, listener)`. */
export type BulkheadBridge = {
  [D in Domain<IpcChannel>]: {
    [V in VerbOf<IpcChannel, D>]: (request?: IpcRequest<`${D}:${V}` & IpcChannel>) => Promise<IpcEnvelope<IpcResponse<`${D}:${V}` & IpcChannel>>>;
  };
} & {
  on: <E extends IpcEvent>(event: E, listener: (payload: IpcEventPayload<E>) => void) => () => void;
};

export type IpcInvoke = (channel: IpcChannel, request: unknown) => Promise<unknown>;
export type IpcSubscribe = (event: IpcEvent, listener: (payload: unknown) => void) => () => void;

/** Builds the bridge object from the channel map over any transport (Electron IPC or browser mode HTTP). */
export function createBridge(invoke: IpcInvoke, subscribe: IpcSubscribe): BulkheadBridge {
  const bridge: Record<string, Record<string, unknown>> = {};
  for (const channel of ipcChannelNames) {
    const [domain, verb] = channel.split(':') as [string, string];
    bridge[domain] ??= {};
    bridge[domain][verb] = (request?: unknown) => invoke(channel, request ?? {});
  }
  const on = (event: IpcEvent, listener: (payload: unknown) => void) => {
    if (!isIpcEvent(event)) {
      throw new Error(`unknown event ${String(event)}`);
    }
    return subscribe(event, listener);
  };
  // Frozen all the way down: page code cannot swap one of the console's functions for its own.
  for (const group of Object.values(bridge)) {
    Object.freeze(group);
  }
  return Object.freeze({ ...bridge, on }) as unknown as BulkheadBridge;
}
