import type { ProviderRole } from '../../contracts/operators';
import type { FairnessLimits } from '../../contracts/fairness';
import type { IsolationModel, Quotas, TenantState } from '../../contracts/tenants';
import type { BreakGlassState } from '../../contracts/break-glass';

/**
 * The storage interface every engine implements (SQLite now, PostgreSQL next). Methods are async
 * so a networked engine fits; no database handle ever leaves control-plane/storage/.
 */
export interface OperatorRecord {
  id: string;
  username: string;
  passwordHash: string;
  /** The TOTP secret, sealed with the deployment key. */
  totpSecretSealed: Buffer;
  roles: ProviderRole[];
  createdAt: string;
  /** The last TOTP time step accepted, so a code is accepted once. */
  lastTotpStep: number | null;
}

export interface NewOperator {
  id: string;
  username: string;
  passwordHash: string;
  totpSecretSealed: Buffer;
  roles: ProviderRole[];
  createdAt: string;
}

export interface OperatorStore {
  count(): Promise<number>;
  create(operator: NewOperator): Promise<void>;
  findByUsername(username: string): Promise<OperatorRecord | null>;
  findById(id: string): Promise<OperatorRecord | null>;
  list(): Promise<OperatorRecord[]>;
  /**
   * Records `step` as the operator's last accepted TOTP step only if it is later than the one
   * stored (atomic compare-and-set): false means the code was already used (replay).
   */
  claimTotpStep(id: string, step: number): Promise<boolean>;
}

export interface SessionRecord {
  id: string;
  operatorId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface OperatorSessionStore {
  create(session: { id: string; tokenHash: string; operatorId: string; createdAt: string; expiresAt: string }): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  touch(id: string, at: string): Promise<void>;
  revoke(id: string, at: string): Promise<void>;
}

/** Consecutive failed sign-ins per username, for the growing lock-out. */
export interface LoginThrottleRecord {
  failures: number;
  lockedUntil: string | null;
}

export interface LoginThrottleStore {
  get(key: string): Promise<LoginThrottleRecord>;
  /** Counts one more consecutive failure and returns the new count. */
  recordFailure(key: string, at: string): Promise<number>;
  lock(key: string, until: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  isolationModel: IsolationModel;
  residency: string | null;
  plan: string | null;
  contactEmail: string | null;
  state: TenantState;
  quotas: Quotas;
  /** Fairness limits the provider set; null means the defaults. */
  fairness: FairnessLimits | null;
  createdAt: string;
  updatedAt: string;
  /** When the customer took ownership (handover); null while the provider holds the onboarding credential. */
  handedOverAt: string | null;
}

export interface TenantListQuery {
  state?: TenantState | undefined;
  /** Exclusive: tenants created after this (created_at, id) position. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export interface TenantReader {
  byId(id: string): Promise<TenantRecord | null>;
  bySlug(slug: string): Promise<TenantRecord | null>;
  list(query: TenantListQuery): Promise<TenantRecord[]>;
  /** Tenants that count against the license band: every state but deleted. */
  countLive(): Promise<number>;
}

export interface LedgerEntryInput {
  actor: string;
  eventType: string;
  tenantId: string | null;
  details: Record<string, unknown>;
}

export interface LedgerEntry extends LedgerEntryInput {
  ledgerId: string;
  seq: number;
  ts: string;
  leafHash: Buffer;
}

export interface LedgerQuery {
  tenantId?: string | undefined;
  eventType?: string | undefined;
  /** Entries with seq below this (newest first paging). */
  beforeSeq?: number | undefined;
  limit: number;
}

export type LedgerVerification =
  | { ok: true; size: number; root: Buffer }
  | { ok: false; size: number; root: Buffer | null; firstBadSeq: number | null; reason: string };

export interface LedgerReader {
  /** Newest first. */
  entries(ledgerId: string, query: LedgerQuery): Promise<LedgerEntry[]>;
  entry(ledgerId: string, seq: number): Promise<LedgerEntry | null>;
  /** The signed tree head: size and root. */
  head(ledgerId: string): Promise<{ size: number; root: Buffer }>;
  /** Recomputes every leaf, every entry MAC and the root; names the first bad entry. */
  verify(ledgerId: string): Promise<LedgerVerification>;
  /** Leaf hashes of the first `size` entries, in order (for inclusion and consistency proofs). */
  leafHashes(ledgerId: string, size: number): Promise<Buffer[]>;
}

/** What a write transaction may change. Everything in one transaction commits or none of it does. */
export interface WriteTx {
  /** Reads inside the transaction (consistent with its writes). */
  countLiveTenants(): Promise<number>;
  tenantBySlug(slug: string): Promise<TenantRecord | null>;
  createOperatorSession(session: { id: string; tokenHash: string; operatorId: string; createdAt: string; expiresAt: string }): Promise<void>;
  /** See OperatorStore.claimTotpStep. */
  claimTotpStep(operatorId: string, step: number): Promise<boolean>;
  recordLoginFailure(key: string, at: string): Promise<number>;
  lockLogin(key: string, until: string): Promise<void>;
  resetLogin(key: string): Promise<void>;
  insertTenant(tenant: TenantRecord, wrappedDataKey: Buffer): Promise<void>;
  updateTenant(id: string, change: Partial<Pick<TenantRecord, 'name' | 'plan' | 'contactEmail' | 'state' | 'quotas' | 'fairness' | 'updatedAt' | 'handedOverAt'>>): Promise<void>;
  /** The tenant row read inside the transaction and locked against concurrent changes until it ends. */
  tenantForUpdate(id: string): Promise<TenantRecord | null>;
  /** Crypto-shred: the wrapped data key is overwritten and removed; nothing can open the tenant's sealed data again. */
  destroyTenantKey(tenantId: string): Promise<void>;
  appendLedger(ledgerId: string, entry: LedgerEntryInput, ts: string): Promise<LedgerEntry>;
  createOperator(operator: NewOperator): Promise<void>;
  deleteOperator(id: string): Promise<boolean>;
  revokeOperatorSessions(operatorId: string, at: string): Promise<void>;
  /** A token in the tenant's own store, and its routing entry. */
  createTenantToken(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, token: TenantTokenRecord & { tokenHash: string }): Promise<void>;
  createAgentPool(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, pool: AgentPoolRecord): Promise<void>;
  /** Counts the tenant's tests inside the transaction (serialized with other creations), for the max_tests quota. */
  countProbeTests(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): Promise<number>;
  createProbeTest(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, test: ProbeTestRecord): Promise<void>;
  deleteProbeTest(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, testId: string): Promise<boolean>;
  putIdentity(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, identity: TenantIdentityRecord): Promise<void>;
  /** Counts the tenant's agents inside the transaction (serialized with other enrollments), for the max_agents quota. */
  countAgents(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): Promise<number>;
  createAgent(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, agent: AgentRecord): Promise<void>;
  /** Revokes a token of the tenant; false when the tenant has no such live token. */
  revokeTenantToken(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, tokenId: string, kind: TenantTokenKind, at: string): Promise<boolean>;
  /** Revokes every live token of these kinds (handover, recovery); answers how many of each. */
  revokeTenantTokens(tenant: TenantRef, kinds: readonly TenantTokenKind[], at: string): Promise<Partial<Record<TenantTokenKind, number>>>;
  /** Marks the tenant's identity settings as the tenant's own (at) or the provider's (null); false when it has none. */
  setIdentityOwnership(tenant: TenantRef, tenantOwnedAt: string | null): Promise<boolean>;
  /** Links an IdP subject to a directory user: sign-ins find people by (issuer, subject) only. */
  linkIdentity(tenant: TenantRef, link: { issuer: string; subject: string; userId: string; createdAt: string }): Promise<void>;
  insertRecovery(request: RecoveryRecord): Promise<void>;
  /** The tenant's recovery request, locked until the transaction ends (null: no such request of this tenant). */
  recoveryForUpdate(tenantId: string, id: string): Promise<RecoveryRecord | null>;
  /** The tenant's waiting recovery requests, locked like recoveryForUpdate. */
  waitingRecoveriesForUpdate(tenantId: string): Promise<RecoveryRecord[]>;
  /** Writes the request's changing columns (state and end), by tenant and id. */
  updateRecovery(request: RecoveryRecord): Promise<void>;
  /** Replaces the tenant's custom roles. */
  putTenantRoles(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, roles: { name: string; permissions: string[] }[], at: string): Promise<void>;
  /** Replaces the tenant's group → role mappings. */
  putRoleMappings(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>, mappings: { group: string; role: string }[]): Promise<void>;
  /**
   * The tenant's directory users, counted inside the transaction. On PostgreSQL this also takes a
   * per-tenant lock until the transaction ends, so concurrent creations cannot both pass a quota.
   */
  countTenantUsers(tenant: TenantRef): Promise<number>;
  /** A user read inside the transaction and locked against concurrent changes until it ends. */
  tenantUserForUpdate(tenant: TenantRef, userId: string): Promise<DirectoryUser | null>;
  /** Throws DirectoryConflict('user_name') when another user of the tenant has the userName (case-insensitive). */
  insertTenantUser(tenant: TenantRef, user: DirectoryUser): Promise<void>;
  /**
   * Writes every attribute of the user (by id), including `active`: a user's deactivation is this one
   * write (active true → false), so what deactivation must also do later (session revocation) goes
   * here. Throws DirectoryConflict('user_name') on a clash; false when the user does not exist.
   */
  updateTenantUser(tenant: TenantRef, user: DirectoryUser): Promise<boolean>;
  /** Deletes the user and its group memberships; false when the tenant has no such user. */
  deleteTenantUser(tenant: TenantRef, userId: string): Promise<boolean>;
  /** Which of `userIds` are users of the tenant; they stay locked (no delete) until the transaction ends. */
  lockTenantUsers(tenant: TenantRef, userIds: string[]): Promise<string[]>;
  tenantGroupForUpdate(tenant: TenantRef, groupId: string): Promise<DirectoryGroup | null>;
  /** Throws DirectoryConflict('group_display_name') when the tenant has a group of that displayName (case-insensitive). */
  insertTenantGroup(tenant: TenantRef, group: DirectoryGroup): Promise<void>;
  /** Writes the group's attributes (by id); false when the group does not exist. */
  updateTenantGroup(tenant: TenantRef, group: DirectoryGroup): Promise<boolean>;
  /** Deletes the group and its memberships; false when the tenant has no such group. */
  deleteTenantGroup(tenant: TenantRef, groupId: string): Promise<boolean>;
  /** The ids of the group's members, read inside the transaction (after tenantGroupForUpdate, nothing changes them meanwhile). */
  groupMemberIds(tenant: TenantRef, groupId: string): Promise<string[]>;
  /** Adds memberships (existing ones are kept); the caller has checked the users with lockTenantUsers. */
  addGroupMembers(tenant: TenantRef, groupId: string, userIds: string[]): Promise<void>;
  removeGroupMembers(tenant: TenantRef, groupId: string, userIds: string[]): Promise<void>;
  /** Removes every row of the tenant from the stores it shares with others (on delete). */
  purgeTenantData(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): Promise<void>;
  insertBreakGlass(request: BreakGlassRecord): Promise<void>;
  /** The tenant's request, locked against concurrent changes until the transaction ends (null: no such request of this tenant). */
  breakGlassForUpdate(tenantId: string, id: string): Promise<BreakGlassRecord | null>;
  /** The tenant's requests that are not over yet (pending, approved, active), locked like breakGlassForUpdate. */
  openBreakGlassForUpdate(tenantId: string): Promise<BreakGlassRecord[]>;
  /** Writes the request's changing columns (state, approvals, decision, grant, end), by tenant and id. */
  updateBreakGlass(request: BreakGlassRecord): Promise<void>;
  /** Routes a break-glass grant token (by hash) to its tenant, like a tenant token's routing entry. */
  indexGrantToken(tenantId: string, tokenHash: string): Promise<void>;
  putBreakGlassSettings(tenantId: string, settings: { requiredApprovals: number; updatedAt: string }): Promise<void>;
}

/** One tenant admin's approval of a break-glass request. */
export interface BreakGlassApproval {
  /** Who approved, as a stable identity (`user:<id>` or `admin-token:<id>`): two approvals need two of these. */
  approver: string;
  /** The actor label, for people reading the request. */
  actor: string;
  at: string;
  /** The grant length this approver allowed (null: as requested). */
  durationMinutes: number | null;
  comment: string | null;
}

/**
 * A break-glass request and, once activated, its grant. It lives in the shared control store for
 * every isolation model: it is a record between the provider and the tenant (like the ledgers),
 * and operators list requests across tenants. Tenant-owned all the same: it carries `tenant_id`.
 */
export interface BreakGlassRecord {
  id: string;
  tenantId: string;
  operatorId: string;
  operatorUsername: string;
  reason: string;
  scope: string[];
  requestedMinutes: number;
  /** The grant's length: the requested one, shortened by approvers. */
  durationMinutes: number;
  /** The tenant's setting when the request was opened (a later change does not apply to it). */
  requiredApprovals: number;
  state: BreakGlassState;
  approvals: BreakGlassApproval[];
  createdAt: string;
  requestExpiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionNote: string | null;
  activatedAt: string | null;
  grantExpiresAt: string | null;
  /** SHA-256 of the grant token (the token itself is never stored). */
  grantHash: string | null;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
}

export interface BreakGlassListQuery {
  tenantId?: string | undefined;
  state?: BreakGlassState | undefined;
  /** Exclusive: requests opened after this (created_at, id) position. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

/**
 * The provider's view of break-glass requests across tenants (operators list and follow them). On
 * PostgreSQL these reads run under a SELECT-only policy for the provider plane; writes stay tenant-scoped.
 */
export interface BreakGlassReader {
  list(query: BreakGlassListQuery): Promise<BreakGlassRecord[]>;
  byId(id: string): Promise<BreakGlassRecord | null>;
  /** Requests whose time is up at `now` (pending or approved past their request expiry, active past the grant's), at most `limit`. */
  due(now: string, limit: number): Promise<BreakGlassRecord[]>;
}

/** What storage needs to find a tenant's own data. */
export type TenantRef = Pick<TenantRecord, 'id' | 'isolationModel'>;

/** One e-mail address of a directory user (SCIM `emails`). */
export interface DirectoryEmail {
  value: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

/** A tenant's directory user (provisioned by SCIM). `version` grows by one with every change (meta.version). */
export interface DirectoryUser {
  id: string;
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: DirectoryEmail[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A tenant's directory group. displayName is unique per tenant (case-insensitive). */
export interface DirectoryGroup {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** One membership, with the names a SCIM answer shows beside the ids. */
export interface DirectoryMembership {
  groupId: string;
  groupDisplayName: string;
  userId: string;
  userName: string;
  userDisplayName: string | null;
}

/** Rows in creation order (created_at, id), `offset` rows skipped, at most `limit`. */
export interface DirectoryPage {
  offset: number;
  limit: number;
}

/** A uniqueness rule of the directory that a write would break (the engines map their constraint errors to this). */
export class DirectoryConflict extends Error {
  constructor(readonly constraint: 'user_name' | 'group_display_name') {
    super(constraint === 'user_name' ? 'another user of the tenant has this userName' : 'another group of the tenant has this displayName');
    this.name = 'DirectoryConflict';
  }
}

/** Where a tenant's own data lives, by isolation model. */
export interface TenantStoreLayout {
  /** Tenant control data (users, tokens, tests): `shared` or the tenant's own store. */
  control: 'shared' | 'own';
  /** Telemetry: the pooled telemetry store or the tenant's own. */
  telemetry: 'shared' | 'own';
}

/**
 * Tenant-owned data, reached only through this scope: every statement binds the tenant's id,
 * inside silos too. Later features add their tables here.
 */
export type TenantTokenKind = 'admin' | 'session' | 'scim' | 'bootstrap' | 'agent';

export interface TenantTokenRecord {
  id: string;
  kind: TenantTokenKind;
  name: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  /** What the token stands for: the pool of a bootstrap token, the agent of an agent token. */
  subjectId: string | null;
}

export interface ProbeTestRecord {
  id: string;
  name: string;
  /** The probe target (a URL, a host name or an address); tenant data, shown only to the tenant. */
  target: string;
  kind: 'http' | 'dns' | 'icmp';
  intervalS: number;
  createdAt: string;
}

export interface AgentPoolRecord {
  id: string;
  name: string;
  ttlSeconds: number;
  defaultGroup: string | null;
  createdAt: string;
}

export interface AgentRecord {
  id: string;
  name: string;
  poolId: string | null;
  groupName: string | null;
  createdAt: string;
}

/** A tenant's own OIDC identity provider; the client secret stays sealed with the tenant's data key. */
export interface TenantIdentityRecord {
  issuer: string;
  clientId: string;
  clientSecretSealed: Buffer;
  claim: string | null;
  groupsClaim: string;
  caPem: string | null;
  updatedAt: string;
  /** Set or confirmed by the tenant in its own plane after handover (when); null: entered by the provider. */
  tenantOwnedAt: string | null;
}

/**
 * A request to give a tenant that lost every credential a new onboarding token. It waits out a
 * period during which any tenant credential can cancel it; then the requesting operator completes it.
 * Lives in the shared control store for every isolation model, beside break-glass requests.
 */
export interface RecoveryRecord {
  id: string;
  tenantId: string;
  operatorId: string;
  operatorUsername: string;
  reason: string;
  state: 'waiting' | 'cancelled' | 'completed';
  createdAt: string;
  availableAt: string;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
}

/** The provider's view of recovery requests across tenants. */
export interface RecoveryReader {
  list(query: { tenantId?: string | undefined; limit: number }): Promise<RecoveryRecord[]>;
  byId(id: string): Promise<RecoveryRecord | null>;
}

export interface TenantScope {
  readonly tenantId: string;
  identity(): Promise<TenantIdentityRecord | null>;
  /** The directory user an IdP subject is linked to, or null. */
  identityLink(issuer: string, subject: string): Promise<string | null>;
  /** The tenant's recovery requests, newest first. */
  recoveries(limit: number): Promise<RecoveryRecord[]>;
  counts(): Promise<{ agents: number; users: number; tests: number }>;
  tokenByHash(tokenHash: string): Promise<TenantTokenRecord | null>;
  tokens(kind: TenantTokenKind): Promise<TenantTokenRecord[]>;
  agentPools(): Promise<AgentPoolRecord[]>;
  probeTests(): Promise<ProbeTestRecord[]>;
  agentPool(id: string): Promise<AgentPoolRecord | null>;
  /** Custom roles (built-in roles live in code). */
  roles(): Promise<{ name: string; permissions: string[] }[]>;
  roleMappings(): Promise<{ group: string; role: string }[]>;
  /** Directory users in creation order (all of them without a page). */
  users(page?: DirectoryPage): Promise<DirectoryUser[]>;
  /** Users by id; ids that are not the tenant's (or not UUIDs) are simply absent. */
  usersByIds(ids: string[]): Promise<DirectoryUser[]>;
  /** The user with this userName, compared case-insensitively (RFC 7643: userName is not caseExact). */
  userByUserName(userName: string): Promise<DirectoryUser | null>;
  usersByExternalId(externalId: string): Promise<DirectoryUser[]>;
  groups(page?: DirectoryPage): Promise<DirectoryGroup[]>;
  groupsByIds(ids: string[]): Promise<DirectoryGroup[]>;
  /** The group with this displayName, compared case-insensitively. */
  groupByDisplayName(displayName: string): Promise<DirectoryGroup | null>;
  groupsByExternalId(externalId: string): Promise<DirectoryGroup[]>;
  /** Memberships of these groups, or of these users, or all of the tenant's (no argument). */
  memberships(of?: { groupIds: string[] } | { userIds: string[] }): Promise<DirectoryMembership[]>;
  /** Number of groups (users are in counts()). */
  groupCount(): Promise<number>;
  /** The tenant's break-glass requests in (created_at, id) order; `tenantId` of the query is ignored. */
  breakGlassRequests(query: Omit<BreakGlassListQuery, 'tenantId'>): Promise<BreakGlassRecord[]>;
  breakGlassRequest(id: string): Promise<BreakGlassRecord | null>;
  breakGlassByGrantHash(grantHash: string): Promise<BreakGlassRecord | null>;
  /** The tenant's break-glass policy, or null while it has never set one (the default applies). */
  breakGlassSettings(): Promise<{ requiredApprovals: number; updatedAt: string } | null>;
}

export interface ReplicaRecord {
  id: string;
  address: string;
  startedAt: string;
  heartbeatAt: string;
}

/** Control-plane replicas serving the same data; each heartbeats, and rates are split across the live ones. */
export interface ReplicaRegistry {
  heartbeat(replica: ReplicaRecord): Promise<void>;
  remove(id: string): Promise<void>;
  /** Replicas whose last heartbeat is at or after `since`. */
  live(since: string): Promise<ReplicaRecord[]>;
}

/** One ingest batch, ready to store: clear columns per result, the details sealed once for the whole batch. */
export interface TelemetryBatchWrite {
  tenant: TenantRef;
  batchId: string;
  agentId: string;
  receivedAt: string;
  /** Columnar, one entry per result in batch order. */
  testIds: string[];
  ts: string[];
  latencyMs: (number | null)[];
  ok: boolean[];
  flowCount: number;
  /** Bytes of the request body (the ingest_bytes meter). */
  bytes: number;
  /** Result details and flow events, sealed with the tenant's data key (null when the batch has none). */
  sealed: Buffer | null;
}

export interface TelemetryResultRow {
  testId: string;
  ts: string;
  latencyMs: number | null;
  ok: boolean;
  batchId: string;
  /** Position of the result in its batch (opens its details in the sealed batch). */
  idx: number;
}

export interface StoredBatch {
  batchId: string;
  agentId: string;
  receivedAt: string;
  firstTs: string | null;
  lastTs: string | null;
  resultCount: number;
  flowCount: number;
  sealed: Buffer | null;
}

export interface TelemetryWindow {
  from: string;
  to: string;
  testId?: string | undefined;
}

/** Usage meters counted per tenant per UTC day, in the same transaction as what they count. */
export type UsageMeter = 'results_ingested' | 'ingest_bytes' | 'flow_events' | 'ai_calls';

/**
 * A tenant's telemetry, in the store its isolation model puts it (pooled, its own telemetry store,
 * or its silo). Every statement binds the tenant's id.
 */
export interface TelemetryStore {
  /**
   * Stores batches, possibly of many tenants, atomically per store; a batch id the tenant already
   * stored is skipped. Answers the `${tenantId}/${batchId}` keys that were duplicates. When this
   * resolves, every batch is durable.
   */
  writeBatches(batches: TelemetryBatchWrite[]): Promise<Set<string>>;
  /**
   * The write lane of a tenant's batches: tenants with the same lane share a writer (and the
   * ingest writer's fair queue in front of it); different lanes commit side by side.
   */
  writeLane(tenant: TenantRef): string;
  /** Newest first, before the (ts, batchId, idx) position when given. */
  results(tenant: TenantRef, window: TelemetryWindow, limit: number, before?: { ts: string; batchId: string; idx: number }): Promise<TelemetryResultRow[]>;
  /** Results in the window for summaries, oldest first, at most `limit`. */
  resultsForAnalysis(tenant: TenantRef, window: TelemetryWindow, limit: number): Promise<TelemetryResultRow[]>;
  batch(tenant: TenantRef, batchId: string): Promise<StoredBatch | null>;
  /** Batches carrying flow events whose first result or receipt falls in the window, newest first. */
  flowBatches(tenant: TenantRef, window: TelemetryWindow, limit: number, beforeReceivedAt?: { receivedAt: string; batchId: string }): Promise<StoredBatch[]>;
  addUsage(tenant: TenantRef, meter: UsageMeter, value: number, at: string): Promise<void>;
  usage(tenant: TenantRef, fromDay: string, toDay: string): Promise<{ day: string; meter: UsageMeter; value: number }[]>;
}

export interface Storage {
  readonly engine: 'sqlite' | 'postgres';
  readonly telemetry: TelemetryStore;
  readonly replicas: ReplicaRegistry;
  readonly operators: OperatorStore;
  readonly operatorSessions: OperatorSessionStore;
  readonly loginThrottle: LoginThrottleStore;
  readonly tenants: TenantReader;
  readonly ledgers: LedgerReader;
  readonly breakGlass: BreakGlassReader;
  readonly recoveries: RecoveryReader;
  /** The wrapped data key of a tenant, or null once destroyed. */
  tenantDataKey(tenantId: string): Promise<Buffer | null>;
  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /**
   * Creates and migrates a siloed or hybrid tenant's own stores before the tenant row exists.
   * Returns a function that removes them again (used when the row cannot be committed).
   */
  createTenantStores(tenantId: string, model: IsolationModel): Promise<() => Promise<void>>;
  /** Deletes a tenant's own store files (after its key is destroyed). */
  removeTenantStores(tenantId: string): Promise<void>;
  /** Own-store files or schemas that exist without a tenant row (a crash between create and commit). */
  sweepOrphanStores(): Promise<string[]>;
  tenantScope(tenant: Pick<TenantRecord, 'id' | 'isolationModel'>): TenantScope;
  /** Which tenant a presented token belongs to (the token itself is checked in that tenant's scope). */
  tokenTenant(tokenHash: string): Promise<string | null>;
  /** Flushes deleted content out of journals and free space (after a crypto-shred). */
  scrub(): Promise<void>;
  /** Cheap round trip to the database, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
