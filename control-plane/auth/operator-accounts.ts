import { randomBytes, randomUUID } from 'node:crypto';
import type { Operator, ProviderRole } from '../../contracts/operators';
import { PROVIDER_LEDGER } from '../audit/ledger-ids';
import { open, seal } from '../crypto/seal';
import { sealPurpose } from '../crypto/seal-purposes';
import { ApiError } from '../errors';
import type { Storage } from '../storage/types';
import { isUniqueViolation } from '../storage/storage-errors';
import type { AuthenticatedOperator, OperatorAuth } from './operator-auth';
import { operatorView } from './operator-view';
import { hashPassword } from './password';
import { newRecoveryCodes } from './recovery-codes';
import { checkTotp, newTotpSecret, totpUri } from './totp';

export interface OperatorAccountsDeps {
  storage: Storage;
  deploymentKey: Buffer;
  clock: () => Date;
  auth: OperatorAuth;
}

/** Who is acting, as the ledger names them. */
export interface OperatorActor {
  label: string;
}

/**
 * Operator accounts: the admin's side (list, add with roles, remove, reset another's TOTP) and each
 * operator's own (password, recovery codes). Every change is ledgered in the same transaction.
 * A new or reset operator is pending: it enrolls its own authenticator at its next sign-in, so no
 * one but the operator ever sees its TOTP secret.
 */
export class OperatorAccounts {
  constructor(private readonly deps: OperatorAccountsDeps) {}

  async list(): Promise<Operator[]> {
    return (await this.deps.storage.operators.list()).map(operatorView);
  }

  /** A new pending operator; without a password, a random initial one is made and answered once. */
  async create(input: { username: string; roles: readonly ProviderRole[]; password?: string | undefined }, actor: OperatorActor): Promise<{ operator: Operator; initialPassword: string | null }> {
    const { storage, deploymentKey } = this.deps;
    const taken = () => new ApiError(409, 'conflict', `An operator named ${input.username} exists.`, { username: input.username });
    if ((await storage.operators.findByUsername(input.username)) !== null) {
      throw taken();
    }
    const id = randomUUID();
    const initialPassword = input.password === undefined ? randomBytes(18).toString('base64url') : null;
    // Hashed before the transaction opens: nothing slow runs while it holds the store.
    const passwordHash = await hashPassword(input.password ?? initialPassword ?? '');
    const roles = [...new Set(input.roles)];
    const createdAt = this.deps.clock().toISOString();
    const totpSecretSealed = seal(deploymentKey, Buffer.from(newTotpSecret()), sealPurpose.operatorTotp(id));
    try {
      await storage.transaction(async (tx) => {
        await tx.createOperator({ id, username: input.username, passwordHash, totpSecretSealed, roles, createdAt, totpConfirmedAt: null });
        await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'OPERATOR_CREATED', tenantId: null, details: { operator_id: id, username: input.username, roles } }, createdAt);
      });
    } catch (error) {
      // Two creates of one name both passed the check above while their passwords hashed: the second is a conflict.
      if (isUniqueViolation(error)) throw taken();
      throw error;
    }
    return { operator: { id, username: input.username, roles, created_at: createdAt, totp_confirmed_at: null, recovery_codes_left: 0 }, initialPassword };
  }

  /** Removes an operator and ends its sessions; never oneself, never the last provider admin. */
  async remove(id: string, self: Operator, actor: OperatorActor): Promise<void> {
    const { storage } = this.deps;
    const target = await storage.operators.findById(id);
    if (target === null) {
      throw new ApiError(404, 'not_found', 'No such operator.');
    }
    if (target.id === self.id) {
      throw new ApiError(409, 'conflict', 'You cannot delete your own operator account.');
    }
    const admins = (await storage.operators.list()).filter((operator) => operator.roles.includes('provider_admin'));
    if (target.roles.includes('provider_admin') && admins.length <= 1) {
      throw new ApiError(409, 'conflict', 'The last provider admin cannot be deleted.');
    }
    const at = this.deps.clock().toISOString();
    await storage.transaction(async (tx) => {
      await tx.revokeOperatorSessions(target.id, at);
      await tx.deleteOperator(target.id);
      await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'OPERATOR_DELETED', tenantId: null, details: { operator_id: target.id, username: target.username } }, at);
    });
  }

  /**
   * For an operator who lost its authenticator: a new secret, enrollment pending again, its
   * recovery codes and sessions gone. It enrolls again at its next sign-in, with its password.
   * Not for oneself: an admin who resets itself could lock the only admin out.
   */
  async resetTotp(id: string, self: Operator, actor: OperatorActor): Promise<Operator> {
    const { storage, deploymentKey } = this.deps;
    const target = await storage.operators.findById(id);
    if (target === null) {
      throw new ApiError(404, 'not_found', 'No such operator.');
    }
    if (target.id === self.id) {
      throw new ApiError(409, 'conflict', 'You cannot reset your own authenticator; another provider admin can.');
    }
    const at = this.deps.clock().toISOString();
    const totpSecretSealed = seal(deploymentKey, Buffer.from(newTotpSecret()), sealPurpose.operatorTotp(target.id));
    await storage.transaction(async (tx) => {
      await tx.resetTotp(target.id, totpSecretSealed);
      await tx.replaceRecoveryCodes(target.id, [], at);
      await tx.revokeOperatorSessions(target.id, at);
      await tx.appendLedger(PROVIDER_LEDGER, { actor: actor.label, eventType: 'OPERATOR_TOTP_RESET', tenantId: null, details: { operator_id: target.id, username: target.username } }, at);
    });
    return { ...operatorView(target), totp_confirmed_at: null, recovery_codes_left: 0 };
  }

  /** The signed-in operator's own password: the current one first; its other sessions end. */
  async changePassword(self: AuthenticatedOperator, currentPassword: string, newPassword: string): Promise<void> {
    if (currentPassword === newPassword) {
      throw new ApiError(400, 'invalid_request', 'Choose a new password, not the current one.', { issues: [{ path: 'new_password', message: 'the same as the current password' }] });
    }
    const record = await this.deps.auth.recheckPassword(self.operator, currentPassword);
    const passwordHash = await hashPassword(newPassword);
    const at = this.deps.clock().toISOString();
    await this.deps.storage.transaction(async (tx) => {
      await tx.setOperatorPassword(record.id, passwordHash);
      // Whoever else holds a session of this operator (another console, a stolen token) is out.
      await tx.revokeOperatorSessions(record.id, at, self.session.id);
      await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_PASSWORD_CHANGED', tenantId: null, details: { operator_id: record.id } }, at);
    });
  }

  /**
   * A new authenticator for the signed-in operator (after signing in with a recovery code, or a new
   * phone): its password first. The old authenticator keeps working until a first code of the new
   * one confirms it, so a half-done change never locks anyone out.
   */
  async startTotpReplacement(self: AuthenticatedOperator, password: string): Promise<{ otpauthUri: string; secret: string }> {
    const record = await this.deps.auth.recheckPassword(self.operator, password);
    const secret = newTotpSecret();
    const at = this.deps.clock().toISOString();
    await this.deps.storage.transaction(async (tx) => {
      await tx.setTotpReplacement(record.id, seal(this.deps.deploymentKey, Buffer.from(secret), sealPurpose.operatorTotp(record.id)));
      await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_TOTP_REPLACEMENT_STARTED', tenantId: null, details: { operator_id: record.id } }, at);
    });
    return { otpauthUri: totpUri(record.username, secret), secret };
  }

  /** A first code of the new authenticator: it replaces the old one. */
  async confirmTotpReplacement(self: AuthenticatedOperator, code: string): Promise<void> {
    const { storage, deploymentKey } = this.deps;
    const record = await storage.operators.findById(self.operator.id);
    if (record?.totpReplacementSealed == null) {
      throw new ApiError(409, 'conflict', 'No new authenticator is being set up; start again.');
    }
    const now = this.deps.clock();
    const secret = open(deploymentKey, record.totpReplacementSealed, sealPurpose.operatorTotp(record.id)).toString('utf8');
    const check = await checkTotp(secret, code, now, null);
    if (check.kind !== 'ok') {
      throw new ApiError(401, 'invalid_credentials', 'That code does not match the new authenticator.');
    }
    const at = now.toISOString();
    await storage.transaction(async (tx) => {
      if (!(await tx.promoteTotpReplacement(record.id, check.step))) {
        throw new ApiError(409, 'conflict', 'No new authenticator is being set up; start again.');
      }
      await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_TOTP_REPLACED', tenantId: null, details: { operator_id: record.id } }, at);
    });
  }

  /** A new set of the signed-in operator's recovery codes (password first); the old ones stop working. */
  async regenerateRecoveryCodes(self: AuthenticatedOperator, password: string): Promise<string[]> {
    const record = await this.deps.auth.recheckPassword(self.operator, password);
    const recovery = newRecoveryCodes(record.id);
    const at = this.deps.clock().toISOString();
    await this.deps.storage.transaction(async (tx) => {
      await tx.replaceRecoveryCodes(record.id, recovery.hashes, at);
      await tx.appendLedger(PROVIDER_LEDGER, { actor: `operator:${record.username}`, eventType: 'OPERATOR_RECOVERY_CODES_REPLACED', tenantId: null, details: { operator_id: record.id, recovery_codes: recovery.codes.length } }, at);
    });
    return recovery.codes;
  }
}
