import type { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { header, type HttpEvent } from './handler';

function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues
    .map((issue) => {
      const field = issue.path.join('.');
      return field ? `${field}: ${issue.message}` : issue.message;
    })
    .join('; ');
  throw new ValidationError(`invalid ${where}: ${details}`);
}

export const parsePath = <S extends z.ZodType>(schema: S, event: HttpEvent) =>
  validate(schema, event.pathParameters ?? {}, 'path');

export const parseQuery = <S extends z.ZodType>(schema: S, event: HttpEvent) =>
  validate(schema, event.queryStringParameters ?? {}, 'query');

/** A missing body is validated as `{}` so optional-body routes and required fields both read well. */
export const parseBody = <S extends z.ZodType>(schema: S, event: HttpEvent) =>
  validate(schema, event.jsonBody ?? {}, 'body');

/** Visible ASCII, 1 to 255 characters: what an Idempotency-Key may be (a UUID is the usual choice). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The request's Idempotency-Key header, if any. `global` keys (POST /apps, which has no token to
 * scope them) must be UUIDs: other clients' keys share their space, so they need ≥ 122 random bits.
 */
export function parseIdempotencyKey(event: HttpEvent, { global = false } = {}): string | undefined {
  const key = header(event, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw new ValidationError('invalid header: Idempotency-Key must be 1-255 visible ASCII characters');
  if (global && !UUID.test(key)) throw new ValidationError('invalid header: Idempotency-Key must be a UUID on POST /apps');
  return global ? key.toLowerCase() : key;
}

/** A WebSocket event's connection id (its request context has one; the HTTP event type does not say so). */
export const connectionIdOf = (event: HttpEvent): string => (event.requestContext as unknown as { connectionId: string }).connectionId;
