import { STATUS_CODES } from 'node:http';
import { isGraderError } from '@datanexus/grader';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ERRORS, type ErrorCode, EnvError, isEnvError } from '../errors.ts';
import { ACTION_TYPES } from '../schemas/actions.ts';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function describeIssue(context: string, e: AjvIssue): string {
  const where = `${context}${e.instancePath}`;
  switch (e.keyword) {
    case 'required':
      return `${where}: missing required field "${String(e.params.missingProperty)}"`;
    case 'additionalProperties':
      return `${where}: unknown field "${String(e.params.additionalProperty)}"`;
    case 'discriminator':
      return e.params.error === 'mapping'
        ? `${where}/type: expected one of ${ACTION_TYPES.join(', ')}, got ${JSON.stringify(e.params.tagValue)}`
        : `${where}: expected an object with a string "type" (one of ${ACTION_TYPES.join(', ')})`;
    case 'enum':
      return `${where}: expected one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ENV_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ENV_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ENV_ERR_VALIDATION',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ENV_ERR_INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ENV_ERR_INVALID_JSON',
};

/** Every failure leaves as { statusCode, code: ENV_ERR_*, error, message, details? }. */
export function toEnvError(err: unknown, bodyLimit: number): EnvError {
  if (isEnvError(err)) return err;
  const fe = err as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation) {
    const issues = fe.validation.map((e) => describeIssue(fe.validationContext ?? 'body', e));
    return new EnvError('ENV_ERR_VALIDATION', issues.join('; '), { details: issues });
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped === 'ENV_ERR_BODY_TOO_LARGE') return new EnvError(mapped, `the request body is larger than ${bodyLimit} bytes (the server's bodyLimit)`);
  if (mapped) return new EnvError(mapped, fe.message);
  if (err instanceof SyntaxError || fe.statusCode === 400) return new EnvError('ENV_ERR_INVALID_JSON', `the request body is not valid JSON: ${fe.message}`);
  if (isGraderError(err)) {
    return err.code === 'GRADER_ERR_INFRA'
      ? new EnvError('ENV_ERR_INFRA', err.message, { cause: err })
      : new EnvError('ENV_ERR_INTERNAL', `${err.code}: ${err.message}`, { cause: err });
  }
  return new EnvError('ENV_ERR_INTERNAL', 'an unexpected error occurred; the server log has the details', { cause: err });
}

export function sendError(reply: FastifyReply, e: EnvError): FastifyReply {
  const status = ERRORS[e.code].status;
  return reply.code(status).type('application/json').send({
    statusCode: status,
    code: e.code,
    error: STATUS_CODES[status] ?? 'Error',
    message: e.message,
    ...(e.details !== undefined ? { details: e.details } : {}),
  });
}

export default fp(async (app) => {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const e = toEnvError(err, app.envOptions.bodyLimit);
    if (e.statusCode >= 500) request.log.error({ err, code: e.code }, e.message);
    else request.log.info({ code: e.code, message: e.message }, 'request refused');
    return sendError(reply, e);
  });
  app.setNotFoundHandler((request, reply) => {
    return sendError(reply, new EnvError('ENV_ERR_NOT_FOUND', `no route ${request.method} ${request.url}; the API is under /v1 (see /docs)`));
  });
}, { name: 'env-errors', dependencies: ['env-config'] });
