// The one catalogue of environment errors. Codes are stable: clients and trainers match on them,
// so a code is never renamed or reused. A test checks that every key equals its code.

export interface ErrorSpec {
  readonly code: string;
  readonly status: number;
  readonly summary: string;
}

function spec<const K extends string>(code: K, status: number, summary: string): { code: K; status: number; summary: string } {
  return { code, status, summary };
}

export const ERRORS = {
  ENV_ERR_VALIDATION: spec('ENV_ERR_VALIDATION', 400, 'The request does not match its schema.'),
  ENV_ERR_INVALID_JSON: spec('ENV_ERR_INVALID_JSON', 400, 'The request body is not valid JSON.'),
  ENV_ERR_UNSUPPORTED_MEDIA_TYPE: spec('ENV_ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'The request body is not application/json.'),
  ENV_ERR_BODY_TOO_LARGE: spec('ENV_ERR_BODY_TOO_LARGE', 413, 'The request body is larger than the server accepts.'),
  ENV_ERR_UNKNOWN_TASK: spec('ENV_ERR_UNKNOWN_TASK', 400, 'The task is not one GET /v1/tasks lists.'),
  ENV_ERR_RESET_NEEDED: spec('ENV_ERR_RESET_NEEDED', 409, 'There is no running episode to step: call POST /v1/reset first (before the first reset, or after the episode ended).'),
  ENV_ERR_UNKNOWN_EPISODE: spec('ENV_ERR_UNKNOWN_EPISODE', 404, 'No episode has this id.'),
  ENV_ERR_EPISODE_EXPIRED: spec('ENV_ERR_EPISODE_EXPIRED', 410, 'The episode existed but was closed or reaped after its lease ran out.'),
  ENV_ERR_EPISODE_BUSY: spec('ENV_ERR_EPISODE_BUSY', 409, 'The episode is still handling another request; episodes take one request at a time.'),
  ENV_ERR_PATH_OUTSIDE_WORKSPACE: spec('ENV_ERR_PATH_OUTSIDE_WORKSPACE', 400, 'A path the action names is absolute, climbs out with "..", or resolves (through a symlink) outside the workspace.'),
  ENV_ERR_CAPACITY: spec('ENV_ERR_CAPACITY', 503, 'The server already runs as many episodes as it is allowed to.'),
  ENV_ERR_INFRA: spec('ENV_ERR_INFRA', 503, 'An infrastructure failure (sandbox, namespace, server, grader run): not the agent\'s doing, never a reward of 0.'),
  ENV_ERR_SHUTTING_DOWN: spec('ENV_ERR_SHUTTING_DOWN', 503, 'The server is shutting down.'),
  ENV_ERR_NOT_FOUND: spec('ENV_ERR_NOT_FOUND', 404, 'No such route.'),
  ENV_ERR_SANDBOX_UNAVAILABLE: spec('ENV_ERR_SANDBOX_UNAVAILABLE', 500, 'The configured sandbox backend cannot run on this host.'),
  ENV_ERR_INVALID_OPTION: spec('ENV_ERR_INVALID_OPTION', 500, 'A server or CLI option has a value that cannot be used.'),
  ENV_ERR_INTERNAL: spec('ENV_ERR_INTERNAL', 500, 'An unexpected error inside the environment server.'),
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class EnvError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EnvError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    if (options?.details !== undefined) this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isEnvError(err: unknown): err is EnvError {
  return err instanceof EnvError;
}
