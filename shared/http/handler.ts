import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError, MalformedJson, PayloadTooLarge, UnsupportedMediaType } from '../domain/errors';
import { addLambdaContext, withCorrelationId } from '../observability/logger';
import { flushMetrics, recordMetric } from '../observability/metrics';
import { describeError, log } from './log';
import { errorResponse, INTERNAL_ERROR, type HttpResponse } from './responses';

/** DESIGN §3: request bodies are limited to 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

export type HttpEvent = APIGatewayProxyEventV2 & { jsonBody?: unknown };
export type HttpRoute = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

type Middleware = MiddlewareObj<HttpEvent, HttpResponse, Error, Context>;

function header(event: HttpEvent, name: string): string | undefined {
  // API Gateway HTTP APIs lower-case header names; serverless-offline keeps them as sent.
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Parses a JSON body once for every route: size, media type and syntax give 413, 415 and 400. */
const jsonBody = (): Middleware => ({
  before: ({ event }) => {
    if (event.body === undefined || event.body === null || event.body === '') return;
    const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
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
 * record the request enqueues.
 */
export function httpHandler(route: HttpRoute) {
  const handler = middy<HttpEvent, HttpResponse, Error, Context>()
    .use(observability())
    .use(requestLogging())
    .use(errorMapping())
    .use(jsonBody())
    .handler(route);
  return (event: HttpEvent, context: Context): Promise<HttpResponse> =>
    withCorrelationId(correlationIdOf(event, context), () => handler(event, context));
}
