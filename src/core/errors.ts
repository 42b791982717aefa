/** Error values with stable codes; the CLI maps each code to an exit code and one line of text. */

export type ErrorCode =
  | 'RepoNotFound'
  | 'RepoExists'
  | 'WrongPassword'
  | 'Locked'
  | 'NotFound'
  | 'CorruptData'
  | 'BackendError'
  | 'InvalidArgument'
  | 'Unsupported'
  | 'Interrupted'
  | 'NoSpace'
  | 'FuseUnavailable'
  | 'PartialFailure';

/** Exit codes, restic-like where restic has one. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  RepoNotFound: 10,
  RepoExists: 1,
  WrongPassword: 12,
  Locked: 11,
  NotFound: 1,
  CorruptData: 1,
  BackendError: 1,
  InvalidArgument: 2,
  Unsupported: 1,
  Interrupted: 130,
  NoSpace: 1,
  FuseUnavailable: 1,
  PartialFailure: 3,
};

export class RozenError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = `RozenError[${code}]`;
  }
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export function isRozenError(err: unknown, code?: ErrorCode): err is RozenError {
  return err instanceof RozenError && (code === undefined || err.code === code);
}

export const notFound = (what: string, cause?: unknown): RozenError => new RozenError('NotFound', `${what} not found`, { cause });
export const corrupt = (what: string, cause?: unknown): RozenError =>
  new RozenError('CorruptData', `${what} is corrupt or was tampered with`, { cause });
export const invalidArgument = (message: string): RozenError => new RozenError('InvalidArgument', message);
