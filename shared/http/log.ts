import { createHash } from 'node:crypto';

/**
 * The application token is the only credential of the API: it never reaches a log line. Wherever it
 * appears (a `token` field, a path `/apps/TOKEN…`, a Redis key `{app:TOKEN}`, an "application TOKEN"
 * message) it is replaced by a short hash, enough to correlate the lines of one application.
 */
export const tokenRef = (token: string) => `token#${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;

const TOKEN_IN_TEXT = /(\/apps\/|\{app:|application )([A-Za-z0-9_-]{16,64})(?![A-Za-z0-9_-])/g;

export const redactTokens = (text: string) => text.replace(TOKEN_IN_TEXT, (_match, before: string, token: string) => `${before}${tokenRef(token)}`);

const redacting = (key: string, value: unknown) => {
  if (typeof value !== 'string') return value;
  return key === 'token' ? tokenRef(value) : redactTokens(value);
};

import { currentCorrelationId, logger } from '../observability/logger';

/**
 * One structured JSON line per event (Powertools Logger: level, message, timestamp, service, the
 * Lambda context), with the correlation id of the request or record being worked on. Tokens are
 * redacted (above), in the message and in every field.
 */
export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const correlationId = currentCorrelationId();
  const redacted = JSON.parse(JSON.stringify(fields, redacting)) as Record<string, unknown>;
  logger[level](redactTokens(message), correlationId ? { correlation_id: correlationId, ...redacted } : redacted);
}

export function describeError(error: unknown): Record<string, unknown> {
  // Duck-typed: errors made in another realm (a VM context, a worker) are not `instanceof Error` here.
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error && 'name' in error)) {
    // Node's network errors carry what happened in `code` (an AggregateError's message is empty).
    const { name, message, code, stack } = error as Error & { code?: unknown };
    return { error: name, detail: message, ...(code === undefined ? {} : { code: String(code) }), stack };
  }
  return { error: String(error) };
}
