import { generate } from 'otplib';
import { SimulatorError } from '../errors';
import type { ApiClient } from './api-client';

/** A provider operator's factors: password and TOTP secret (never printed). */
export interface OperatorCredentials {
  username: string;
  password: string;
  totpSecret: string;
  /**
   * The operator's TOTP enrollment may still be pending and the simulator may finish it: only for an
   * operator the simulator made itself (the embedded control plane's first admin, from init). A
   * person's pending enrollment is theirs to finish at the console.
   */
  mayConfirmEnrollment?: boolean;
}

const STEP_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The TOTP step each operator last signed in with: the control plane accepts a code once. */
const lastStep = new Map<string, number>();

function errorCode(answer: { status: number; json: Record<string, unknown> }): string {
  return (answer.json.error as { code?: string } | undefined)?.code ?? String(answer.status);
}

/** The current code of a step not used yet by this process for this operator (waits for the next step if it was). */
async function freshCode(client: ApiClient, username: string, secret: string): Promise<string> {
  const key = `${client.target.url} ${username}`;
  let step = Math.floor(Date.now() / STEP_MS);
  if (lastStep.get(key) === step) {
    await sleep((step + 1) * STEP_MS - Date.now() + 50);
    step += 1;
  }
  lastStep.set(key, step);
  return generate({ secret, epoch: Math.floor(Math.max(Date.now(), step * STEP_MS) / 1000) });
}

/**
 * Signs an operator in as a person at the console does: password + the current 6-digit TOTP code
 * (otplib). A second sign-in of the same operator within one 30 s step waits for the next code.
 * An operator whose enrollment is pending is enrolled here only if `mayConfirmEnrollment`; else
 * that is a clear error. Returns the session token (bho_).
 */
export async function signInOperator(client: ApiClient, operator: OperatorCredentials, onWait?: (message: string) => void): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const totp = await freshCode(client, operator.username, operator.totpSecret);
    const answer = await client.call('POST', '/provider/v1/auth/login', { body: { username: operator.username, password: operator.password, totp } });
    if (answer.status === 201 && typeof answer.json.token === 'string') return answer.json.token;
    const code = errorCode(answer);
    if (answer.status === 403 && code === 'enrollment_required') {
      if (operator.mayConfirmEnrollment !== true) {
        throw new SimulatorError(
          `operator ${operator.username} has not finished its TOTP enrollment on ${client.target.url}: sign in once at the console (it shows the QR code, asks for a first code and shows the recovery codes), then run the simulator again`,
        );
      }
      // The code above was not spent (the sign-in was refused before any code was checked).
      return confirmEnrollment(client, operator.username, operator.password, totp);
    }
    // This step's code may have been spent by another sign-in (another run, a person at the
    // console): the control plane says so (totp_replayed), so try the next code once.
    if (attempt === 0 && answer.status === 401 && (code === 'totp_replayed' || code === 'invalid_credentials')) {
      onWait?.(`operator ${operator.username}: sign-in refused; this TOTP code may have been used already, trying the next one (up to 30 s)`);
      continue;
    }
    throw new SimulatorError(`operator ${operator.username} could not sign in to ${client.target.url} (${answer.status} ${code}): check --operator, the password and the TOTP secret`);
  }
}

async function confirmEnrollment(client: ApiClient, username: string, password: string, totp: string): Promise<string> {
  const confirmed = await client.call('POST', '/provider/v1/auth/enrollment/confirm', { body: { username, password, totp } });
  if (confirmed.status !== 201 || typeof confirmed.json.token !== 'string') {
    throw new SimulatorError(`operator ${username} could not finish its TOTP enrollment on ${client.target.url} (${confirmed.status} ${errorCode(confirmed)})`);
  }
  return confirmed.json.token;
}

/**
 * A new operator's first sign-in, as it goes at the console: its pending enrollment (the secret its
 * authenticator would read from the QR code), then a first code. Returns its session and secret.
 */
export async function enrollOperator(client: ApiClient, username: string, password: string): Promise<{ token: string; totpSecret: string }> {
  const enrollment = await client.call('POST', '/provider/v1/auth/enrollment', { body: { username, password } });
  if (enrollment.status !== 200 || typeof enrollment.json.secret !== 'string') {
    throw new SimulatorError(`operator ${username} could not start its TOTP enrollment on ${client.target.url} (${enrollment.status} ${errorCode(enrollment)})`);
  }
  const totpSecret = enrollment.json.secret;
  const token = await confirmEnrollment(client, username, password, await freshCode(client, username, totpSecret));
  return { token, totpSecret };
}
