/**
 * How a simulator run ends, as a process exit code: scripts and CI tell a broken invariant (1)
 * from a mistyped command (2) and from a control plane that could not be reached or set up (3).
 */
export const ExitCode = {
  ok: 0,
  invariantFailed: 1,
  usage: 2,
  setupFailed: 3,
} as const;

/** A failure the simulator explains in one line (never with a token or a secret in it). */
export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';

  constructor(
    message: string,
    readonly exitCode: (typeof ExitCode)[keyof typeof ExitCode] = ExitCode.setupFailed,
  ) {
    super(message);
  }
}

/** A bad flag or argument: one clear line, exit 2. */
export class UsageError extends SimulatorError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}
