/**
 * Errors are values with an HTTP status and a stable code. Only `shared/http` turns them into
 * responses; anything that is not an AppError becomes a generic 500 there.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string) {
    super(400, 'validation_error', message);
  }
}

export class MalformedJson extends AppError {
  constructor() {
    super(400, 'malformed_json', 'the request body is not valid JSON');
  }
}

export class NotFound extends AppError {
  constructor(entity: 'application' | 'chat' | 'message' | 'route', key?: string | number) {
    super(404, 'not_found', key === undefined ? `${entity} not found` : `${entity} ${key} not found`);
  }
}

/** A known path without this method: 405 with the methods it has (RFC 9110 §15.5.6). */
export class MethodNotAllowed extends AppError {
  constructor(method: string, allowed: string[]) {
    super(405, 'method_not_allowed', `${method} is not allowed here; allowed: ${allowed.join(', ')}`, { Allow: allowed.join(', ') });
  }
}

export class PayloadTooLarge extends AppError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `the request body exceeds ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaType extends AppError {
  constructor() {
    super(415, 'unsupported_media_type', 'the request body must be application/json');
  }
}

const retryAfter = (milliseconds: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(milliseconds / 1000))) });

/**
 * A token bucket is empty: the token's (creates, and requests for a chat or message Redis does not
 * know), or the global one of lookups in MySQL for such requests. Retry after `Retry-After`.
 */
export class RateLimited extends AppError {
  constructor(retryAfterMs: number, what = 'too many create requests for this application') {
    super(429, 'rate_limited', `${what}, retry after the time in Retry-After`, retryAfter(retryAfterMs));
  }
}

/** The Idempotency-Key was used before with another request. */
export class IdempotencyKeyReused extends AppError {
  constructor() {
    super(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request');
  }
}

/** The first request with this Idempotency-Key is still being enqueued. */
export class IdempotencyKeyInFlight extends AppError {
  constructor(retryAfterMs: number) {
    super(409, 'idempotency_key_in_flight', 'a request with this Idempotency-Key is still in progress, retry after the time in Retry-After', retryAfter(retryAfterMs));
  }
}

/** A dependency is down; the client may retry after a short while. */
export class ServiceUnavailable extends AppError {
  constructor(dependency: string, cause?: unknown, retryAfterSeconds = 5) {
    super(503, 'service_unavailable', `${dependency} is unavailable, retry shortly`, {
      'Retry-After': String(retryAfterSeconds),
    });
    this.cause = cause;
  }
}

/**
 * Runs a call to a dependency, turning an outage (as `isOutage` recognises it) into a 503 that keeps
 * the original as its cause. Other errors are bugs and stay errors (a logged 500).
 */
export async function guarded<T>(dependency: string, call: () => Promise<T>, isOutage: (error: unknown) => boolean = () => true): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError || !isOutage(error)) throw error;
    throw new ServiceUnavailable(dependency, error);
  }
}
