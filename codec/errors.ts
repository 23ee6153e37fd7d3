/**
 * Typed errors with stable codes. The CLI prints `flowzip: <code>: <message>` and exits with
 * the code's exit status; tests match on `code`, never on message text.
 */
export const ERROR_CODES = {
  BAD_MAGIC: 'not a .flz file (bad magic)',
  BAD_VERSION: 'unsupported .flz format version',
  TRUNCATED: 'file is truncated',
  CHECKSUM: 'checksum mismatch (file is corrupted)',
  CORRUPT: 'file is corrupted',
  BAD_SHAPE: 'absurd or invalid shape',
  UNKNOWN_MODEL: 'unknown model',
  MODEL_MISMATCH: 'model tables do not match the ones this file was coded with',
  LIMIT: 'beyond a size limit',
  BAD_INPUT: 'input cannot be read',
  UNSUPPORTED: 'unsupported input',
  IO: 'file system error',
  USAGE: 'bad usage',
  INTERNAL: 'internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Process exit status per code: 2 usage, 3 input (LIMIT: beyond --max-output/--max-pixels), 4 corrupt .flz, 5 I/O, 1 anything else. */
export const EXIT_STATUS: Record<ErrorCode, number> = {
  USAGE: 2,
  BAD_INPUT: 3,
  UNSUPPORTED: 3,
  LIMIT: 3,
  BAD_SHAPE: 4,
  BAD_MAGIC: 4,
  BAD_VERSION: 4,
  TRUNCATED: 4,
  CHECKSUM: 4,
  CORRUPT: 4,
  UNKNOWN_MODEL: 2,
  MODEL_MISMATCH: 4,
  IO: 5,
  INTERNAL: 1,
};

export class FlowzipError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${ERROR_CODES[code]}: ${detail}` : ERROR_CODES[code]);
    this.code = code;
    this.name = 'FlowzipError';
  }
}

export function fail(code: ErrorCode, detail?: string): never {
  throw new FlowzipError(code, detail);
}
