// The one catalogue of grader errors. Codes are stable: tools and the environment server match on
// them, so a code is never renamed or reused. A test checks that every key equals its code.

export interface ErrorSpec {
  readonly code: string;
  /** Process exit code the CLI uses for this error. */
  readonly exit: 1 | 2;
  readonly summary: string;
}

function spec<const K extends string>(code: K, exit: 1 | 2, summary: string): { code: K; exit: 1 | 2; summary: string } {
  return { code, exit, summary };
}

export const ERRORS = {
  GRADER_ERR_USAGE: spec('GRADER_ERR_USAGE', 2, 'The command line is not valid.'),
  GRADER_ERR_INVALID_OPTION: spec('GRADER_ERR_INVALID_OPTION', 2, 'An option has a value the command cannot use.'),
  GRADER_ERR_FILE_NOT_FOUND: spec('GRADER_ERR_FILE_NOT_FOUND', 1, 'A file or directory the command needs does not exist.'),
  GRADER_ERR_MANIFEST_INVALID: spec('GRADER_ERR_MANIFEST_INVALID', 1, 'The bug manifest does not satisfy its schema or its cross-entry rules.'),
  GRADER_ERR_UNKNOWN_BUG: spec('GRADER_ERR_UNKNOWN_BUG', 1, 'A bug id is not an active bug of the manifest.'),
  GRADER_ERR_FIX_MISSING: spec('GRADER_ERR_FIX_MISSING', 1, 'The fix patch of a bug does not exist.'),
  GRADER_ERR_FIX_SHA_MISMATCH: spec('GRADER_ERR_FIX_SHA_MISMATCH', 1, 'A fix patch does not have the sha256 the manifest records.'),
  GRADER_ERR_PATCH_FAILED: spec('GRADER_ERR_PATCH_FAILED', 1, 'A fix patch does not apply.'),
  GRADER_ERR_OUT_EXISTS: spec('GRADER_ERR_OUT_EXISTS', 1, 'The output directory exists and is not empty.'),
  GRADER_ERR_RESULTS_INVALID: spec('GRADER_ERR_RESULTS_INVALID', 1, 'A results document is malformed (bad shape, unknown category or status, duplicated ids).'),
  GRADER_ERR_INFRA: spec('GRADER_ERR_INFRA', 1, 'The suite could not run: jest did not start, the runner failed, or a server is unreachable.'),
  GRADER_ERR_JEST_NOT_FOUND: spec('GRADER_ERR_JEST_NOT_FOUND', 1, 'The tree has no node_modules/jest to run.'),
  GRADER_ERR_INVENTORY: spec('GRADER_ERR_INVENTORY', 1, 'The pristine suite does not give a complete test list.'),
  GRADER_ERR_DEPMAP: spec('GRADER_ERR_DEPMAP', 1, 'The dependency map could not be recorded, or does not belong to the tree asked about.'),
  GRADER_ERR_VERIFY_FAILED: spec('GRADER_ERR_VERIFY_FAILED', 1, 'The manifest did not verify.'),
  GRADER_ERR_RUN_INVALID: spec('GRADER_ERR_RUN_INVALID', 1, 'An evaluation run directory or one of its episode records is missing or malformed.'),
  GRADER_ERR_INTERNAL: spec('GRADER_ERR_INTERNAL', 1, 'An unexpected error inside the grader.'),
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class GraderError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GraderError';
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }

  get exitCode(): 1 | 2 {
    return ERRORS[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isGraderError(err: unknown): err is GraderError {
  return err instanceof GraderError;
}

/** Wraps anything thrown into a GraderError so every exit goes through a stable code. */
export function toGraderError(err: unknown): GraderError {
  if (err instanceof GraderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GraderError('GRADER_ERR_INTERNAL', message, { cause: err });
}
