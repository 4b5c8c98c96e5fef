import type { Operator } from '../../contracts/operators';
import type { OperatorRecord } from '../storage/types';

/** An operator as the contract shows it: never its password hash, TOTP secret or recovery codes. */
export function operatorView(record: OperatorRecord): Operator {
  return {
    id: record.id,
    username: record.username,
    roles: record.roles,
    created_at: record.createdAt,
    totp_confirmed_at: record.totpConfirmedAt,
    recovery_codes_left: record.recoveryCodesLeft,
  };
}
