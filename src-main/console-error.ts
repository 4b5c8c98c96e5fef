import type { ErrorCode } from '../contracts/errors';

/** An error the console answers over IPC as `{error:{code,message,details}}`. */
export class ConsoleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}
