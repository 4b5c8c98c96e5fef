import { generate } from 'otplib';
import { SimulatorError } from '../errors';
import type { ApiClient } from './api-client';

/** A provider operator's factors: password and TOTP secret (never printed). */
export interface OperatorCredentials {
  username: string;
  password: string;
  totpSecret: string;
}

const STEP_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The TOTP step each operator last signed in with: the control plane accepts a code once. */
const lastStep = new Map<string, number>();

/**
 * Signs an operator in as a person at the console does: password + the current 6-digit TOTP code
 * (otplib). A second sign-in of the same operator within one 30 s step waits for the next code.
 * Returns the session token (bho_).
 */
export async function signInOperator(client: ApiClient, operator: OperatorCredentials, onWait?: (message: string) => void): Promise<string> {
  const key = `${client.target.url} ${operator.username}`;
  let step = Math.floor(Date.now() / STEP_MS);
  for (let attempt = 0; ; attempt++) {
    if (lastStep.get(key) === step) {
      await sleep((step + 1) * STEP_MS - Date.now() + 50);
      step += 1;
    }
    lastStep.set(key, step);
    const totp = await generate({ secret: operator.totpSecret, epoch: Math.floor(Math.max(Date.now(), step * STEP_MS) / 1000) });
    const answer = await client.call('POST', '/provider/v1/auth/login', { body: { username: operator.username, password: operator.password, totp } });
    if (answer.status === 201 && typeof answer.json.token === 'string') return answer.json.token;
    const code = (answer.json.error as { code?: string } | undefined)?.code ?? String(answer.status);
    // This step's code may have been spent by another sign-in (another run, a person at the
    // console): the control plane answers that like any wrong factor, so try the next code once.
    if (attempt === 0 && answer.status === 401 && code === 'invalid_credentials') {
      onWait?.(`operator ${operator.username}: sign-in refused; this TOTP code may have been used already, trying the next one (up to 30 s)`);
      continue;
    }
    throw new SimulatorError(`operator ${operator.username} could not sign in to ${client.target.url} (${answer.status} ${code}): check --operator, the password and the TOTP secret`);
  }
}
