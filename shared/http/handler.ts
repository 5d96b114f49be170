import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError, MalformedJson, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType } from '../domain/errors';
import { addLambdaContext, withCorrelationId } from '../observability/logger';
import { flushMetrics, recordMetric } from '../observability/metrics';
import { describeError, log } from './log';
import { allowedMethods } from './openapi';
import { errorResponse, INTERNAL_ERROR, type HttpResponse } from './responses';

/**
 * DESIGN §3: request bodies are limited to 128 KiB of JSON. The largest valid message in the most
 * verbose JSON encoding (10,000 characters, each escaped as a `\uXXXX\uXXXX` surrogate pair, as
 * Python's json.dumps does by default) is 120,000 bytes plus its envelope: every valid body fits.
 */
export const MAX_BODY_BYTES = 128 * 1024;

/** The methods whose routes take a body; a body sent with any other (a GET's) is ignored, as HTTP says. */
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export type HttpEvent = APIGatewayProxyEventV2 & { jsonBody?: unknown };
export type HttpRoute = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

type Middleware = MiddlewareObj<HttpEvent, HttpResponse, Error, Context>;

export function header(event: HttpEvent, name: string): string | undefined {
  // API Gateway HTTP APIs lower-case header names; serverless-offline keeps them as sent.
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Parses a JSON body once for every route that takes one: size, media type and syntax give 413, 415 and 400. */
const jsonBody = (): Middleware => ({
  before: ({ event }) => {
    if (event.body === undefined || event.body === null || event.body === '') return;
    if (!METHODS_WITH_BODY.has((event.requestContext?.http?.method ?? 'POST').toUpperCase())) return;
    // API Gateway always passes a string; serverless-offline passes a falsy JSON body (`false`, `0`)
    // as the parsed value instead. Back to its text, so both validate alike (a 400, never a 500).
    const body: unknown = event.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const raw = event.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    if (raw.byteLength > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
    const contentType = header(event, 'content-type') ?? '';
    if (!/^application\/(.+\+)?json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaType();
    try {
      event.jsonBody = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new MalformedJson();
    }
  },
});

/**
 * 405 + Allow for a method the request's path does not have. Needed beyond the catch-all route:
 * the gateway routes `PUT …/messages/search` to `PUT …/messages/{messageNumber}` (same shape), which
 * would answer a 400 about the message number instead.
 */
const methodCheck = (): Middleware => ({
  before: ({ event }) => {
    const method = event.requestContext?.http?.method?.toUpperCase();
    if (!method || !event.rawPath) return;
    const allowed = allowedMethods(event.rawPath);
    if (allowed.length > 0 && !allowed.includes(method)) throw new MethodNotAllowed(method, allowed);
  },
});

/** The one place errors become responses; unknown errors are logged and never shown to clients. */
const errorMapping = (): Middleware => ({
  onError: (request) => {
    const { error, event, context } = request;
    if (error instanceof AppError) {
      if (error.status >= 500) {
        log('error', error.message, { requestId: context.awsRequestId, route: event.routeKey, ...describeError(error.cause) });
      }
      request.response = errorResponse(error);
      return;
    }
    log('error', 'unhandled error', {
      requestId: context.awsRequestId,
      apiRequestId: event.requestContext?.requestId,
      route: event.routeKey,
      ...describeError(error),
    });
    request.response = INTERNAL_ERROR;
  },
});

type Timing = { startedAt: number };

/** One access-log line per request, carrying both the Lambda and the API Gateway request ids. */
const requestLogging = (): Middleware => {
  const done: Middleware['after'] = ({ event, context, response, internal }) => {
    log('info', 'request', {
      requestId: context.awsRequestId,
      apiRequestId: event.requestContext?.requestId,
      method: event.requestContext?.http?.method,
      path: event.rawPath,
      status: response?.statusCode,
      durationMs: Date.now() - (internal as Timing).startedAt,
    });
  };
  return {
    before: ({ internal }) => {
      (internal as Timing).startedAt = Date.now();
    },
    after: done,
    onError: done,
  };
};

/** Lambda context on the logs; the metrics of the invocation written once it ends, creates counted. */
const observability = (): Middleware => {
  const done: Middleware['after'] = ({ event, response }) => {
    if (response?.statusCode === 201) recordMetric('Created', 1, 'Count', { route: event.routeKey });
    flushMetrics();
  };
  return {
    before: ({ context }) => addLambdaContext(context),
    after: done,
    onError: done,
  };
};

/** serverless-offline puts this one constant in every HTTP API event as the request id. */
const OFFLINE_REQUEST_ID = 'offlineContext_resourceId';

/** API Gateway's request id; locally, where serverless-offline has none per request, the invocation's. */
const correlationIdOf = (event: HttpEvent, context: Context): string | undefined => {
  const requestId = event.requestContext?.requestId;
  return requestId && requestId !== OFFLINE_REQUEST_ID ? requestId : context?.awsRequestId;
};

/**
 * Wraps a route in the middleware stack every HTTP handler shares, run under the request's
 * correlation id (API Gateway's request id): every log line carries it, and so does every queue
 * record the request enqueues. WebSocket routes use it too, with `jsonBody: false`: their frames
 * carry no Content-Type (the route reads what it needs itself), and they have no HTTP method to check.
 */
export function httpHandler(route: HttpRoute, { jsonBody: parseJsonBody = true } = {}) {
  const stack = middy<HttpEvent, HttpResponse, Error, Context>().use(observability()).use(requestLogging()).use(errorMapping());
  const handler = (parseJsonBody ? stack.use(methodCheck()).use(jsonBody()) : stack).handler(route);
  return (event: HttpEvent, context: Context): Promise<HttpResponse> =>
    withCorrelationId(correlationIdOf(event, context), () => handler(event, context));
}
