import type { z } from 'zod';
import { ValidationError } from '../domain/errors';
import type { HttpEvent } from './handler';

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

/** A WebSocket event's connection id (its request context has one; the HTTP event type does not say so). */
export const connectionIdOf = (event: HttpEvent): string => (event.requestContext as unknown as { connectionId: string }).connectionId;
