import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorEnvelope, type ErrorCode } from '../../contracts/errors';
import { ApiError } from '../errors';
import { isStorageUnavailable } from '../storage/storage-errors';

/** Fastify's own client-error codes, mapped to the contract's codes. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_request',
};

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'rate_limited';
  return 'invalid_request';
}

/**
 * Every error leaves as `{"error":{code,message,details}}`. Client errors keep their 4xx; anything
 * unexpected is logged and answered 500 `internal_error` without internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      void reply.code(error.statusCode).headers(error.headers).send(errorEnvelope(error.code, error.message, error.details));
      return;
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = fastifyCodes[error.code] ?? (error instanceof SyntaxError ? 'invalid_json' : codeForStatus(status));
      void reply.code(status).send(errorEnvelope(code, error.message));
      return;
    }
    if (isStorageUnavailable(error)) {
      // The store is down or full, not the request wrong: say so, briefly, and let the client retry.
      request.log.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'storage unavailable');
      void reply
        .code(503)
        .header('retry-after', '5')
        .send(errorEnvelope('storage_unavailable', 'The control plane cannot reach or write its storage right now; retry shortly.'));
      return;
    }
    request.log.error({ err: error }, 'unhandled error');
    void reply.code(500).send(errorEnvelope('internal_error', 'The control plane hit an unexpected error; it has been logged.'));
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorEnvelope('not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`));
  });
}

/**
 * For fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists
 * (headers too large, a malformed request line) still answers with the contract's envelope and a
 * code, then the connection closes (its framing can no longer be trusted).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(
    tooLarge ? errorEnvelope('headers_too_large', 'The request headers are too large.') : errorEnvelope('invalid_request', 'The request could not be parsed.'),
  );
  const reason = tooLarge ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(`HTTP/1.1 ${String(status)} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\nConnection: close\r\n\r\n${body}`);
}

/** For fastify's `frameworkErrors`: router-level client errors as the contract's envelope. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long.' : 'The request URL is not valid.';
  void reply.code(status).send(errorEnvelope('invalid_request', message));
}
