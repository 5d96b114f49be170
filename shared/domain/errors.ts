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
